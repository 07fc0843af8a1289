import { useEffect, useState } from 'react';
import { ErrorState } from '../../../components/ui/states';
import { useI18n } from '../../../i18n';
import { useIssueInvitation } from '../api/patients';

/** An activation code with its expiry and a QR code for the patient's phone to scan. */
export function InvitationPanel({ patientId }: { patientId: string }) {
  const { t, dateTime } = useI18n();
  const issue = useIssueInvitation();
  const [qr, setQr] = useState<string | null>(null);
  const code = issue.data?.code;
  useEffect(() => {
    if (!code) return;
    let live = true;
    void import('qrcode').then((QRCode) => QRCode.toDataURL(code, { margin: 1, width: 160 })).then((url) => live && setQr(url));
    return () => {
      live = false;
    };
  }, [code]);
  return (
    <div className="invitation">
      <button type="button" onClick={() => issue.mutate(patientId)} disabled={issue.isPending}>
        {code ? t('invitation.reissue') : t('invitation.issue')}
      </button>
      {issue.error ? <ErrorState error={issue.error} /> : null}
      {issue.data && (
        <div className="invitation-code">
          <p>
            {t('invitation.code')}: <code data-testid="invitation-code">{issue.data.code}</code>
          </p>
          <p>{t('invitation.expires', { when: dateTime(issue.data.expires_at) })}</p>
          {qr && <img src={qr} width={160} height={160} alt={t('invitation.qrAlt', { code: issue.data.code })} />}
          <p className="muted small">{t('invitation.hint')}</p>
        </div>
      )}
    </div>
  );
}
