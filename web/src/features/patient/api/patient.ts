import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { components } from '../../../api/schema';
import { api } from '../../../lib/api-client';
import { unwrap } from '../../../lib/problem';

type S = components['schemas'];
const path = (patientId: string) => ({ path: { patient_id: patientId } });

export function usePatient(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId],
    queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}', { params: path(patientId) })),
  });
}

export function usePain(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId, 'pain'],
    queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}/pain', { params: path(patientId) })),
  });
}

export function useAdherence(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId, 'adherence'],
    queryFn: () => unwrap(api.GET('/api/v1/patients/{patient_id}/adherence', { params: path(patientId) })),
  });
}

export function usePatientFlags(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId, 'flags'],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/patients/{patient_id}/flags', { params: { ...path(patientId), query: { limit: 200 } } }))).items,
  });
}

/** The programme in force: the newest one that has not ended. */
export function useCurrentProgramme(patientId: string) {
  return useQuery({
    queryKey: ['patient', patientId, 'programme'],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/patients/{patient_id}/programmes', { params: { ...path(patientId), query: { limit: 200 } } }));
      const today = new Date().toISOString().slice(0, 10);
      const live = page.items.filter((p) => !p.end_date || p.end_date >= today);
      return live.sort((a, b) => (b.start_date ?? '').localeCompare(a.start_date ?? ''))[0] ?? null;
    },
  });
}

export function useRevisions(programmeId: string | undefined) {
  return useQuery({
    queryKey: ['programme', programmeId, 'revisions'],
    enabled: Boolean(programmeId),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/programmes/{programme_id}/revisions', { params: { path: { programme_id: programmeId! }, query: { limit: 200 } } })))
        .items,
  });
}

export function useExercises() {
  return useQuery({
    queryKey: ['exercises'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/exercises', { params: { query: { limit: 200, include_retired: true } } }))).items,
    staleTime: 5 * 60_000,
  });
}

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
