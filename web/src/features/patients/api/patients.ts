import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';
import type { PatientRow } from '../utils/sort-patients';
import { sparklineRange } from '../utils/sparkline-range';

/** Every patient of the clinic (the API pages by name; the list sorts and searches in place). */
export function usePatients() {
  return useQuery({
    queryKey: ['patients'],
    queryFn: async () => {
      const rows: PatientRow[] = [];
      let cursor: string | null = null;
      do {
        const page: components['schemas']['PatientPage'] = await unwrap(
          api.GET('/api/v1/patients', { params: { query: { limit: 200, cursor } } }),
        );
        rows.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return rows;
    },
  });
}

/** The last two weeks' daily maximum pain, up to the clinic's today, for a row's sparkline. */
export function usePainSparkline(patientId: string, timeZone: string) {
  const { from, to } = sparklineRange(timeZone);
  return useQuery({
    queryKey: ['patient', patientId, 'pain-14', to],
    queryFn: async () => {
      const series = await unwrap(
        api.GET('/api/v1/patients/{patient_id}/pain', { params: { path: { patient_id: patientId }, query: { from, to } } }),
      );
      return series.days.map((day) => day.max_pain);
    },
    staleTime: 60_000,
    // The clinic's zone may arrive after the browser's stood in: keep the line while it moves.
    placeholderData: keepPreviousData,
  });
}

export function useCreatePatient() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components['schemas']['PatientIn']) => unwrap(api.POST('/api/v1/patients', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['patients'] }),
  });
}

export function useIssueInvitation() {
  return useMutation({
    mutationFn: (patientId: string) =>
      unwrap(api.POST('/api/v1/patients/{patient_id}/invitations', { params: { path: { patient_id: patientId } } })),
  });
}
