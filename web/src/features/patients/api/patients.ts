import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';
import type { PatientRow } from '../utils/sort-patients';

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

/** The last two weeks' daily maximum pain, for a row's sparkline. */
export function usePainSparkline(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId, 'pain-14'],
    queryFn: async () => {
      const to = new Date();
      const from = new Date(to.getTime() - 13 * 86_400_000);
      const iso = (d: Date) => d.toISOString().slice(0, 10);
      const series = await unwrap(
        api.GET('/api/v1/patients/{patient_id}/pain', { params: { path: { patient_id: patientId }, query: { from: iso(from), to: iso(to) } } }),
      );
      return series.days.map((day) => day.max_pain);
    },
    staleTime: 60_000,
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
