import { useId, type ReactElement, type ReactNode } from 'react';

/**
 * A labelled form field with its hint and its error (from the server's validation issues). The
 * input is passed as a render function so that it gets the id and aria attributes.
 */
export function Field(props: {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  name: string;
  children: (attributes: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined }) => ReactElement;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.error ? errorId : null, props.hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}${props.className ? ` ${props.className}` : ''}`} data-field={props.name}>
      <label htmlFor={id} className="field-label">
        {props.label}
      </label>
      {props.children({ id, 'aria-invalid': Boolean(props.error), 'aria-describedby': describedBy })}
      {props.error && (
        <div id={errorId} className="field-error" role="alert">
          {props.error}
        </div>
      )}
      {props.hint && (
        <div id={hintId} className="field-hint">
          {props.hint}
        </div>
      )}
    </div>
  );
}
