import { queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';

type S = components['schemas'];

export function useStaff() {
  return useQuery({
    queryKey: ['therapists'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/therapists', { params: { query: { limit: 200 } } }))).items,
  });
}

export function useInviteStaff() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: S['TherapistIn']) => unwrap(api.POST('/api/v1/therapists', { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['therapists'] }),
  });
}

export function useUpdateStaff() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, changes }: { id: string; changes: S['TherapistPatchIn'] }) =>
      unwrap(api.PATCH('/api/v1/therapists/{user_id}', { params: { path: { user_id: id } }, body: changes })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['therapists'] }),
  });
}

/** The caller's clinic: its settings, and every flag threshold in force with its source. */
export const clinicQuery = queryOptions({
  queryKey: ['clinic'],
  queryFn: () => unwrap(api.GET('/api/v1/clinic')),
  staleTime: 5 * 60_000,
});

export const useClinic = () => useQuery(clinicQuery);

export function useUpdateClinic() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: S['ClinicPatchIn']) => unwrap(api.PATCH('/api/v1/clinic', { body: changes })),
    onSuccess: (clinic) => {
      client.setQueryData(['clinic'], clinic);
      // A threshold change re-evaluates the clinic's patients: their flags may have changed.
      void client.invalidateQueries({ queryKey: ['flags'] });
      void client.invalidateQueries({ queryKey: ['patient'] });
    },
  });
}

export function useClinicPatients() {
  return useQuery({
    queryKey: ['patients', 'names'],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/patients', { params: { query: { limit: 200 } } }));
      return new Map(page.items.map((p) => [p.id, p.name]));
    },
    staleTime: 5 * 60_000,
  });
}

export function useAuditLog(filters: { patient_id?: string; actor_id?: string }) {
  return useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/audit', { params: { query: { limit: 50, cursor: pageParam, ...filters } } })),
    getNextPageParam: (page) => page.next_cursor,
  });
}

/** Patients' open requests to be erased (clinic admins). */
export function useErasureRequests() {
  return useQuery({
    queryKey: ['erasure-requests'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/clinic/erasure-requests', { params: { query: { limit: 100 } } }))).items,
  });
}
