import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { saveBlob } from '../../../lib/download';
import { unwrap } from '../../../lib/problem';

export interface ReportRequest {
  from?: string;
  to?: string;
  lang?: 'tr' | 'en';
}

/** The progress report (PDF) for a referring physician, saved as a file. */
export function useDownloadReport(patientId: string) {
  return useMutation({
    mutationFn: async (range: ReportRequest) => {
      const query = Object.fromEntries(Object.entries(range).filter(([, value]) => value));
      const blob = await unwrap(
        api.GET('/api/v1/patients/{patient_id}/report.pdf', { params: { path: { patient_id: patientId }, query }, parseAs: 'blob' }),
      );
      saveBlob(blob as Blob, `report-${patientId}.pdf`);
    },
  });
}

/** Everything held about the patient, as JSON or a FHIR R4 Bundle, saved as a file. */
export function useDownloadExport(patientId: string) {
  return useMutation({
    mutationFn: async (format: 'json' | 'fhir') => {
      const blob = await unwrap(
        api.GET('/api/v1/patients/{patient_id}/export', { params: { path: { patient_id: patientId }, query: { format } }, parseAs: 'blob' }),
      );
      saveBlob(blob as Blob, `patient-${patientId}${format === 'fhir' ? '.fhir' : ''}.json`);
    },
  });
}

/** Erase the patient (clinic admins): cannot be undone; every list forgets them. */
export function useErasePatient(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (reason: string) =>
      unwrap(api.DELETE('/api/v1/patients/{patient_id}', { params: { path: { patient_id: patientId } }, body: { reason } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: ['patient', patientId] });
      void client.invalidateQueries({ queryKey: ['patients'] });
      void client.invalidateQueries({ queryKey: ['erasure-requests'] });
    },
  });
}
