import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';

type S = components['schemas'];

export const outcomeQueries = {
  /** Each measure's series of scored responses for one patient. */
  series: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId, 'measures'],
      queryFn: async () =>
        (await unwrap(api.GET('/api/v1/patients/{patient_id}/measures', { params: { path: { patient_id: patientId }, query: { limit: 50 } } }))).items,
    }),
  /** The measure library rarely changes: its names and scales are kept for the session. */
  library: queryOptions({
    queryKey: ['measures'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/measures', { params: { query: { limit: 100 } } }))).items,
    staleTime: 30 * 60_000,
  }),
  schedules: (programmeId: string | undefined) =>
    queryOptions({
      queryKey: ['programme', programmeId, 'measures'],
      enabled: Boolean(programmeId),
      queryFn: async () =>
        (await unwrap(api.GET('/api/v1/programmes/{programme_id}/measures', { params: { path: { programme_id: programmeId! }, query: { limit: 50 } } })))
          .items,
    }),
};

export const useOutcomeSeries = (patientId: string) => useQuery(outcomeQueries.series(patientId));
export const useMeasureLibrary = () => useQuery(outcomeQueries.library);
export const useMeasureSchedules = (programmeId: string | undefined) => useQuery(outcomeQueries.schedules(programmeId));

export function useScheduleMeasure(programmeId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: S['MeasureScheduleIn']) =>
      unwrap(api.POST('/api/v1/programmes/{programme_id}/measures', { params: { path: { programme_id: programmeId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['programme', programmeId, 'measures'] }),
  });
}

export function useRemoveMeasure(programmeId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (scheduleId: string) =>
      unwrap(
        api.DELETE('/api/v1/programmes/{programme_id}/measures/{measure_schedule_id}', {
          params: { path: { programme_id: programmeId, measure_schedule_id: scheduleId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['programme', programmeId, 'measures'] }),
  });
}
