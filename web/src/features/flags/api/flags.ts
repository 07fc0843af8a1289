import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';

type S = components['schemas'];
export type Status = 'open' | 'acknowledged' | 'resolved' | 'auto_resolved';
export type Severity = 'urgent' | 'high' | 'normal' | 'low' | 'info';

export function useFlagQueue(status: Status[], severity: Severity[]) {
  return useQuery({
    queryKey: ['flags', status, severity],
    queryFn: async () => {
      const query = { limit: 200, ...(status.length ? { status } : {}), ...(severity.length ? { severity } : {}) };
      // The API takes a list as one comma-separated value (status=open,acknowledged).
      const querySerializer = { array: { style: 'form', explode: false } } as const;
      return (await unwrap(api.GET('/api/v1/flags', { params: { query }, querySerializer }))).items;
    },
  });
}

export function useFlag(flagId: string) {
  return useQuery({
    queryKey: ['flag', flagId],
    queryFn: () => unwrap(api.GET('/api/v1/flags/{flag_id}', { params: { path: { flag_id: flagId } } })),
  });
}

function useFlagAction<T>(flagId: string, action: (body: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: action,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['flag', flagId] });
      void client.invalidateQueries({ queryKey: ['flags'] });
      void client.invalidateQueries({ queryKey: ['patient'] });
    },
  });
}

export function useAcknowledge(flagId: string) {
  return useFlagAction<void>(flagId, () => unwrap(api.POST('/api/v1/flags/{flag_id}/acknowledge', { params: { path: { flag_id: flagId } } })));
}

export function useResolve(flagId: string) {
  return useFlagAction<S['ResolveIn']>(flagId, (body) =>
    unwrap(api.POST('/api/v1/flags/{flag_id}/resolve', { params: { path: { flag_id: flagId } }, body })),
  );
}
