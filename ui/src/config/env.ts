// Read once, validated: where the identity provider is and which client this is. The API is same-origin
// (the gateway routes /ecom and /inven under the storefront's origin), so no API URL is needed.
function required(name: string, value: string | undefined): string {
  if (!value) throw new Error(`configuration ${name} is missing`);
  return value;
}

const port = window.location.port ? `:${window.location.port}` : "";

export const env = {
  oidcAuthority: required(
    "VITE_OIDC_AUTHORITY",
    import.meta.env.VITE_OIDC_AUTHORITY ?? `https://idp.keycloak.net${port}/realms/bookstore`,
  ),
  oidcClientId: required("VITE_OIDC_CLIENT_ID", import.meta.env.VITE_OIDC_CLIENT_ID ?? "ui-client"),
  origin: window.location.origin,
} as const;
