import { AuditLog } from './audit-log';
import { ClinicSettings } from './clinic-settings';
import { ErasureRequests } from './erasure-requests';
import { StaffAdmin } from './staff-admin';
import { useI18n } from '../../../i18n';

export default function ClinicAdmin({ userId }: { userId: string }) {
  const { t } = useI18n();
  return (
    <div className="page">
      <h1>{t('clinic.title')}</h1>
      <ClinicSettings />
      <StaffAdmin userId={userId} />
      <ErasureRequests />
      <AuditLog />
    </div>
  );
}
