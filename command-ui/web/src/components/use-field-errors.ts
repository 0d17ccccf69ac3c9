import { useCallback, useState } from 'react';
import { issuesFor } from '../api/client.ts';

/**
 * The server's validation messages per field, for the reply to the last submission. A field's
 * message goes away as soon as the user edits that field; `reset()` when submitting again.
 */
export function useFieldErrors(error: unknown): {
  errorFor(field: string): string | undefined;
  edited(field: string): void;
  reset(): void;
} {
  const [editedFields, setEditedFields] = useState<ReadonlySet<string>>(() => new Set());
  const edited = useCallback((field: string) => setEditedFields((fields) => (fields.has(field) ? fields : new Set(fields).add(field))), []);
  const reset = useCallback(() => setEditedFields(new Set()), []);
  const errorFor = (field: string) => (editedFields.has(field) ? undefined : issuesFor(error, field));
  return { errorFor, edited, reset };
}
