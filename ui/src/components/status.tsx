import { describeError } from "../lib/api-client";

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  return <p role="alert">{describeError(error)}</p>;
}
