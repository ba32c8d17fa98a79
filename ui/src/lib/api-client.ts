// The one API client: same-origin requests, the bearer token when signed in, and the CSRF token on every
// change (fetched from /ecom/csrf; fetched again once when the service says it is no longer valid).

export interface ShortLine {
  book_id: string;
  title?: string;
  requested: number;
  available: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(detail);
  }

  get lines(): ShortLine[] {
    return Array.isArray(this.body.lines) ? (this.body.lines as ShortLine[]) : [];
  }
}

let currentToken: () => string | undefined = () => undefined;
let csrfToken: Promise<string> | null = null;

export function setAccessTokenSource(source: () => string | undefined): void {
  currentToken = source;
  csrfToken = null; // bound to who is calling: a new identity needs a new token
}

function authHeaders(): Record<string, string> {
  const token = currentToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const detail =
      typeof error.detail === "string"
        ? error.detail
        : Array.isArray(error.detail)
          ? validationMessage(error.detail)
          : response.status >= 500
            ? "The service is unavailable right now. Please try again in a moment."
            : `Request failed (${response.status}).`;
    throw new ApiError(response.status, typeof error.error === "string" ? error.error : "error", detail, error);
  }
  return body;
}

/** FastAPI's 422 detail ([{loc, msg}]) as one sentence naming each field. */
function validationMessage(problems: unknown[]): string {
  return problems
    .map((p) => {
      const problem = p as { loc?: unknown[]; msg?: string };
      const field = Array.isArray(problem.loc) ? String(problem.loc[problem.loc.length - 1]) : "input";
      return `${field}: ${(problem.msg ?? "invalid").replace(/^Value error, /, "")}`;
    })
    .join("; ");
}

async function fetchCsrf(): Promise<string> {
  const response = await fetch("/ecom/csrf", { headers: authHeaders(), credentials: "same-origin" });
  const body = (await parse(response)) as { token: string };
  return body.token;
}

function csrf(): Promise<string> {
  if (!csrfToken) {
    csrfToken = fetchCsrf().catch((error: unknown) => {
      csrfToken = null;
      throw error;
    });
  }
  return csrfToken;
}

export async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: authHeaders(), credentials: "same-origin" });
  return (await parse(response)) as T;
}

export async function apiSend<T>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { ...authHeaders(), ...extraHeaders, "X-CSRF-Token": await csrf() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    try {
      return (await parse(response)) as T;
    } catch (error) {
      if (attempt === 1 && error instanceof ApiError && error.code === "csrf_invalid") {
        csrfToken = null; // expired or bound to someone else: fetch a fresh one and retry once
        continue;
      }
      throw error;
    }
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "Your session has expired. Please sign in again.";
    if (error.status === 503) return "The service is unavailable right now. Please try again in a moment.";
    return error.detail;
  }
  return "Something went wrong. Please check your connection and try again.";
}
