import { useId, type ReactNode } from 'react';

/** A labelled form control with its field errors, linked for screen readers. */
export function Field({ label, errors, children }: { label: string; errors?: string[]; children: (id: string, describedBy?: string) => ReactNode }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, errors?.length ? errorId : undefined)}
      {errors?.length ? (
        <p id={errorId} className="field-error">
          {errors.join(' ')}
        </p>
      ) : null}
    </div>
  );
}
