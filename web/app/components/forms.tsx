import { useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { useNavigation } from 'react-router';

export type FieldErrors = Partial<Record<string, string[] | undefined>>;

export function Field(props: { label: string; name: string; errors?: string[]; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  const { label, name, errors, hint, id: givenId, ...input } = props;
  const auto = useId();
  const id = givenId ?? auto;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [errors?.length ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type="text" aria-invalid={errors?.length ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint ? <span id={hintId} className="hint">{hint}</span> : null}
      {errors?.length ? <span id={errorId} className="error">{errors.join(' ')}</span> : null}
    </div>
  );
}

export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return <p className="alert alert-error" role="alert">{message}</p>;
}

/** A submit button that says what is happening while its form is in flight. */
export function SubmitButton(props: { children: ReactNode; pendingText?: string; className?: string; name?: string; value?: string; disabled?: boolean }) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting' && (props.value === undefined || navigation.formData?.get(props.name ?? 'intent') === props.value);
  return (
    <button type="submit" className={props.className ?? 'btn btn-primary btn-block'} name={props.name} value={props.value} disabled={busy || props.disabled} aria-busy={busy || undefined}>
      {busy ? (props.pendingText ?? 'Working…') : props.children}
    </button>
  );
}
