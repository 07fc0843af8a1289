import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { dayIn } from '../../../i18n';
import { unwrap } from '../../../lib/problem';
import { outcomeQueries } from './measures';

type S = components['schemas'];
const path = (patientId: string) => ({ path: { patient_id: patientId } });

const revisionsQuery = (programmeId: string | undefined) =>
  queryOptions({
    queryKey: ['programme', programmeId, 'revisions'],
    enabled: Boolean(programmeId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/programmes/{programme_id}/revisions', { params: { path: { programme_id: programmeId! }, query: { limit: 200 } } })))
        .items,
  });

export const patientQueries = {
  detail: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId],
      queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}', { params: path(patientId) })),
    }),
  pain: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId, 'pain'],
      queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}/pain', { params: path(patientId) })),
    }),
  adherence: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId, 'adherence'],
      queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}/adherence', { params: path(patientId) })),
    }),
  flags: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId, 'flags'],
      queryFn: async () =>
        (await unwrap(api.GET('/api/v1/patients/{patient_id}/flags', { params: { ...path(patientId), query: { limit: 200 } } }))).items,
    }),
  /** The programme in force: the newest one that has not ended by the patient's today. Its
   * revisions are asked for the moment it is known, not after the next render. */
  programme: (patientId: string) =>
    queryOptions({
      queryKey: ['patient', patientId, 'programme'],
      queryFn: async ({ client }) => {
        // Both requests start at once; "today" is the patient's own calendar day, as end dates are.
        const [page, patient] = await Promise.all([
          unwrap(api.GET('/api/v1/patients/{patient_id}/programmes', { params: { ...path(patientId), query: { limit: 200 } } })),
          client.fetchQuery(patientQueries.detail(patientId)),
        ]);
        const today = dayIn(patient.timezone);
        const live = page.items.filter((p) => !p.end_date || p.end_date >= today);
        const current = live.sort((a, b) => (b.start_date ?? '').localeCompare(a.start_date ?? ''))[0] ?? null;
        if (current?.id) {
          void client.prefetchQuery(revisionsQuery(current.id));
          void client.prefetchQuery(outcomeQueries.schedules(current.id));
        }
        return current;
      },
    }),
  revisions: revisionsQuery,
};

/** Start every request of the patient page at once, while its code is still downloading; the
 * programme first, since its revisions are asked for once it is known. */
export function prefetchPatientPage(client: QueryClient, patientId: string): void {
  void client.prefetchQuery(patientQueries.programme(patientId));
  void client.prefetchQuery(patientQueries.detail(patientId));
  void client.prefetchQuery(patientQueries.pain(patientId));
  void client.prefetchQuery(patientQueries.adherence(patientId));
  void client.prefetchQuery(patientQueries.flags(patientId));
  void client.prefetchQuery(outcomeQueries.series(patientId));
  void client.prefetchQuery(outcomeQueries.library);
  void client.prefetchQuery(exercisesQuery);
}

export const usePatient = (patientId: string) => useQuery(patientQueries.detail(patientId));
export const usePain = (patientId: string) => useQuery(patientQueries.pain(patientId));
export const useAdherence = (patientId: string) => useQuery(patientQueries.adherence(patientId));
export const usePatientFlags = (patientId: string) => useQuery(patientQueries.flags(patientId));
export const useCurrentProgramme = (patientId: string) => useQuery(patientQueries.programme(patientId));
export const useRevisions = (programmeId: string | undefined) => useQuery(patientQueries.revisions(programmeId));

const exercisesQuery = queryOptions({
  queryKey: ['exercises', 'with-retired'],
  queryFn: async () => (await unwrap(api.GET('/api/v1/exercises', { params: { query: { limit: 200, include_retired: true } } }))).items,
  staleTime: 5 * 60_000,
});

export const useExercises = () => useQuery(exercisesQuery);

export function useChangeIntensity(patientId: string, programmeId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: S['IntensityIn']) =>
      unwrap(api.POST('/api/v1/programmes/{programme_id}/intensity', { params: { path: { programme_id: programmeId } }, body })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['patient', patientId] });
      void client.invalidateQueries({ queryKey: ['programme', programmeId] });
    },
  });
}

export function useTherapists(enabled: boolean) {
  return useQuery({
    queryKey: ['therapists'],
    enabled,
    queryFn: async () => (await unwrap(api.GET('/api/v1/therapists', { params: { query: { limit: 200 } } }))).items,
  });
}

export function useUpdatePatient(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: S['PatientPatchIn']) => unwrap(api.PATCH('/api/v1/patients/{patient_id}', { params: path(patientId), body })),
    onSuccess: (patient) => {
      client.setQueryData(['patient', patientId], patient);
      void client.invalidateQueries({ queryKey: ['patients'] });
    },
  });
}
