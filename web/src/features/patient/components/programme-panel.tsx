import { Link } from 'react-router';
import type { components } from '../../../api/schema';
import { Empty, QueryState } from '../../../components/ui/states';
import { useI18n, type MessageId } from '../../../i18n';
import { useCurrentProgramme, useExercises, useRevisions } from '../api/patient';
import { IntensityForm } from './intensity-form';

type S = components['schemas'];

export function dosageText(dosage: S['DosageOut'] | undefined, t: (id: MessageId, vars?: Record<string, string | number>) => string): string {
  if (!dosage) return '';
  const parts = [t('dosage.setsReps', { sets: dosage.sets ?? 0, reps: dosage.reps ?? 0 })];
  if (dosage.hold_seconds) parts.push(t('dosage.hold', { seconds: dosage.hold_seconds }));
  const target = dosage.target as S['TargetOut'] | null | undefined;
  if (target && target.value !== undefined) parts.push(`${target.value}${target.unit ? ` ${target.unit}` : ''}`);
  return parts.join(' · ');
}

/** The programme in force, its items, its history, and progress / regress. */
export function ProgrammePanel({ patientId }: { patientId: string }) {
  const { t, language, date, dateTime } = useI18n();
  const programme = useCurrentProgramme(patientId);
  const exercises = useExercises();
  const revisions = useRevisions(programme.data?.id);
  const names = new Map((exercises.data ?? []).map((e) => [e.id, e.name?.[language] ?? e.slug ?? '']));
  const ladders = new Map((exercises.data ?? []).map((e) => [e.id, e.ladder?.length ?? 0]));
  return (
    <section className="card" aria-labelledby="programme-title">
      <h2 id="programme-title">{t('programme.title')}</h2>
      <QueryState query={programme}>
        {(p) =>
          !p ? (
            <>
              <Empty id="programme.none" />
              <Link className="button" to={`/patients/${patientId}/programmes/new`}>{t('programme.create')}</Link>
            </>
          ) : (
            <>
              <p className="muted small">
                {t('programme.meta', { revision: p.current_revision ?? 1, start: date(p.start_date ?? '') })}
                {p.baseline_pain != null ? ` · ${t('programme.baseline', { value: p.baseline_pain })}` : ''}
              </p>
              <ul className="items" aria-label={t('programme.items')}>
                {p.revision?.items?.map((item) => (
                  <li key={item.item_id}>
                    <strong>{names.get(item.exercise_id) || item.exercise_slug}</strong>
                    <span className="small">
                      {' '}
                      {t('programme.level', { level: item.level ?? 1, of: ladders.get(item.exercise_id) || '?' })} · {dosageText(item.dosage, t)}
                    </span>
                  </li>
                ))}
              </ul>
              <IntensityForm
                patientId={patientId}
                programme={p}
                itemNames={(p.revision?.items ?? []).map((item) => ({ id: item.item_id!, name: names.get(item.exercise_id) || item.exercise_slug || '' }))}
                onReload={() => programme.refetch()}
              />
              <h3>{t('revisions.title')}</h3>
              <QueryState query={revisions}>
                {(items) => (
                  <ol className="revisions" reversed>
                    {[...items].reverse().map((revision) => (
                      <li key={revision.number}>
                        <strong>#{revision.number} {t(`revisionKind.${revision.kind ?? 'revision'}` as MessageId)}</strong>{' '}
                        <span className="muted small">{revision.effective_at ? dateTime(revision.effective_at) : ''}</span>
                        {revision.reason && <p className="reason">“{revision.reason}”</p>}
                      </li>
                    ))}
                  </ol>
                )}
              </QueryState>
            </>
          )
        }
      </QueryState>
    </section>
  );
}
