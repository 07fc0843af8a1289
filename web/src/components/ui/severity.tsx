import { useI18n, type MessageId } from '../../i18n';

export const SEVERITIES = ['urgent', 'high', 'normal', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

// A shape as well as a colour, and the word itself: colour never carries severity alone.
const MARKS: Record<string, string> = { urgent: '▲▲', high: '▲', normal: '●', low: '○', info: 'ℹ' };

export function SeverityBadge({ severity }: { severity: string }) {
  const { t } = useI18n();
  return (
    <span className={`badge severity-${severity}`}>
      <span aria-hidden="true">{MARKS[severity] ?? '●'}</span> {t(`severity.${severity}` as MessageId)}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  return <span className={`badge status-${status}`}>{t(`status.${status}` as MessageId)}</span>;
}
