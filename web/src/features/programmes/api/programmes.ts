import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';

export function useTemplates() {
  return useQuery({
    queryKey: ['templates'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/programme-templates', { params: { query: { limit: 200 } } }))).items,
    staleTime: 5 * 60_000,
  });
}

export function useLibrary() {
  return useQuery({
    queryKey: ['exercises'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/exercises', { params: { query: { limit: 200 } } }))).items,
    staleTime: 5 * 60_000,
  });
}

export function useCreateProgramme(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components['schemas']['ProgrammeIn']) =>
      unwrap(api.POST('/api/v1/patients/{patient_id}/programmes', { params: { path: { patient_id: patientId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['patient', patientId] }),
  });
}
