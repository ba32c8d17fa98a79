{{/* Security headers, the same as the local gateway (deploy/local/gateway/nginx.conf.j2), per host. */}}
{{- define "bookstore.headers.ui" -}}
{{- $api := include "bookstore.publicUrl" (dict "root" . "host" .Values.hosts.api) -}}
{{- $idp := include "bookstore.publicUrl" (dict "root" . "host" .Values.hosts.idp) -}}
- name: Strict-Transport-Security
  value: "max-age=31536000; includeSubDomains"
- name: Content-Security-Policy
  value: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' {{ $api }} {{ $idp }}; form-action 'self' {{ $idp }}; frame-src 'none'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
- {name: X-Content-Type-Options, value: nosniff}
- {name: X-Frame-Options, value: DENY}
- {name: Referrer-Policy, value: strict-origin-when-cross-origin}
- {name: Permissions-Policy, value: "camera=(), microphone=(), geolocation=()"}
{{- end -}}

{{- define "bookstore.headers.api" -}}
- name: Strict-Transport-Security
  value: "max-age=31536000; includeSubDomains"
- {name: Content-Security-Policy, value: "default-src 'none'; frame-ancestors 'none'"}
- {name: X-Content-Type-Options, value: nosniff}
- {name: X-Frame-Options, value: DENY}
- {name: Referrer-Policy, value: no-referrer}
{{- end -}}

{{- define "bookstore.headers.idp" -}}
- name: Strict-Transport-Security
  value: "max-age=31536000; includeSubDomains"
- {name: Content-Security-Policy, value: "frame-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'"}
- {name: X-Content-Type-Options, value: nosniff}
- {name: X-Frame-Options, value: DENY}
- {name: Referrer-Policy, value: no-referrer}
{{- end -}}

{{/* The public API prefixes. The local gateway routes /ecom/ and /inven/ and refuses the internal paths
     (reservations, metrics, docs, openapi.json); here only the public prefixes are routed at all, so an internal
     path matches no rule (404 from the gateway). tests/deploy checks this list against contracts/openapi. */}}
{{- define "bookstore.apiPrefixes" -}}
{{- toJson (dict
      "ecom" (list "/ecom/books" "/ecom/csrf" "/ecom/cart" "/ecom/checkout" "/ecom/orders" "/ecom/admin" "/ecom/health")
      "inventory" (list "/inven/stock" "/inven/admin" "/inven/health")) -}}
{{- end -}}

{{/* API rules with the given host's headers. Call with (dict "root" $ "headers" "ui"|"api"). */}}
{{- define "bookstore.apiRules" -}}
{{- $root := .root -}}
{{- $headers := .headers -}}
{{- range $svc, $prefixes := include "bookstore.apiPrefixes" $root | fromJson }}
{{- if (index $root.Values $svc).enabled }}
- matches:
    {{- range $prefixes }}
    - path: {type: PathPrefix, value: {{ . }}}
    {{- end }}
  filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set:
          {{- include (printf "bookstore.headers.%s" $headers) $root | nindent 10 }}
  backendRefs:
    - {name: {{ $svc }}, port: 8000}
  timeouts:
    request: 30s
{{- end }}
{{- end }}
{{- end -}}
