import type { ReactNode } from 'react';
import { useI18n, type MessageId } from '../../i18n';
import { describeError } from '../../lib/problem';

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      {label ?? t('state.loading')}
    </p>
  );
}

export function Empty({ id }: { id: MessageId }) {
  const { t } = useI18n();
  return <p className="state state-empty">{t(id)}</p>;
}

/** An error in words, with a retry when the caller can offer one. */
export function ErrorState({ error, retry, context }: { error: unknown; retry?: () => void; context?: 'login' | 'intensity' | 'other' }) {
  const { t } = useI18n();
  const described = describeError(error, context);
  return (
    <div className="state state-error" role="alert">
      <p>{t(described.key, described.vars)}</p>
      {Object.entries(described.fields).map(([field, messages]) => (
        <p key={field}>
          <strong>{field}</strong>: {messages.join(' ')}
        </p>
      ))}
      {retry && (
        <button type="button" onClick={retry}>
          {t('action.retry')}
        </button>
      )}
    </div>
  );
}

/** Loading, error or the content, for one query. */
export function QueryState<T>({ query, children }: { query: { data?: T; error: unknown; isPending: boolean; refetch: () => unknown }; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorState error={query.error} retry={() => query.refetch()} />;
  return <>{children(query.data as T)}</>;
}
