import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, apiSend, describeError, setAccessTokenSource } from "./api-client";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  setAccessTokenSource(() => undefined);
});

describe("apiSend", () => {
  it("sends the bearer token and the CSRF token it fetched", async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url === "/ecom/csrf" ? json(200, { token: "t1" }) : json(200, { ok: true }),
    );
    vi.stubGlobal("fetch", fetchMock);
    setAccessTokenSource(() => "jwt");
    await apiSend("POST", "/ecom/cart", { book_id: "b", quantity: 1 });
    const [, init] = fetchMock.mock.calls[1] as unknown as [string, RequestInit];
    expect(init.headers).toMatchObject({ Authorization: "Bearer jwt", "X-CSRF-Token": "t1" });
    expect(init.body).toBe(JSON.stringify({ book_id: "b", quantity: 1 }));
  });

  it("fetches a new CSRF token once and retries when the service says csrf_invalid", async () => {
    const tokens = ["stale", "fresh"];
    const sent: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        if (url === "/ecom/csrf") return json(200, { token: tokens.shift() });
        const token = (init?.headers as Record<string, string>)["X-CSRF-Token"];
        sent.push(token);
        return token === "fresh" ? json(200, { ok: true }) : json(403, { error: "csrf_invalid", detail: "no" });
      }),
    );
    setAccessTokenSource(() => undefined);
    await expect(apiSend("DELETE", "/ecom/cart/items/x")).resolves.toEqual({ ok: true });
    expect(sent).toEqual(["stale", "fresh"]);
  });

  it("does not retry other 403s and reports the service's detail", async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url === "/ecom/csrf" ? json(200, { token: "t" }) : json(403, { error: "forbidden", detail: "requires admin" }),
    );
    vi.stubGlobal("fetch", fetchMock);
    setAccessTokenSource(() => undefined);
    const error = await apiSend("POST", "/ecom/admin/books", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("forbidden");
    expect(describeError(error)).toBe("requires admin");
    // One CSRF fetch and one attempt: neither the token nor the request was tried again.
    expect(fetchMock.mock.calls.map(([url]) => url)).toEqual(["/ecom/csrf", "/ecom/admin/books"]);
  });
});

describe("describeError", () => {
  it("speaks plainly about expired sessions and outages", () => {
    expect(describeError(new ApiError(401, "unauthorized", "token expired", {}))).toMatch(/session has expired/);
    expect(describeError(new ApiError(503, "inventory_unavailable", "x", {}))).toMatch(/unavailable right now/);
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/check your connection/);
  });
});

describe("validation errors", () => {
  it("name each field with the service's message", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) =>
        url === "/ecom/csrf"
          ? json(200, { token: "t" })
          : json(422, {
              error: "validation_error",
              detail: [{ loc: ["body", "isbn13"], msg: "Value error, not a valid ISBN-13", type: "value_error" }],
            }),
      ),
    );
    const error = await apiSend("POST", "/ecom/admin/books", {}).catch((e: unknown) => e);
    expect(describeError(error)).toBe("isbn13: not a valid ISBN-13");
  });
});
