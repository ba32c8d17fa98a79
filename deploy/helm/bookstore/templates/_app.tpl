{{/* Environment of the Python services: the same variables as local mode (each service README), pointed at the
     in-cluster addresses. Secrets (database and Redis URLs, client secret) come from the Secret of the same name. */}}

{{- define "bookstore.otelEnv" -}}
- {name: OTEL_SERVICE_NAME, value: {{ .service | quote }}}
- {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ .root.Values.observability.otlpEndpoint | quote }}}
- {name: OTEL_EXPORTER_OTLP_PROTOCOL, value: http/protobuf}
- {name: OTEL_TRACES_EXPORTER, value: otlp}
- {name: OTEL_METRICS_EXPORTER, value: none}
- {name: OTEL_PROPAGATORS, value: "tracecontext,baggage"}
- {name: OTEL_RESOURCE_ATTRIBUTES, value: {{ printf "service.namespace=bookstore,deployment.environment=%s" .root.Release.Namespace | quote }}}
{{- end -}}

{{- define "bookstore.oidcEnv" -}}
{{- $kc := include "bookstore.keycloakInternal" .root -}}
- {name: {{ .prefix }}_OIDC_ISSUER, value: {{ include "bookstore.issuer" .root | quote }}}
- {name: {{ .prefix }}_OIDC_JWKS_URL, value: {{ printf "%s/realms/bookstore/protocol/openid-connect/certs" $kc | quote }}}
- {name: {{ .prefix }}_OIDC_AUDIENCE, value: bookstore-api}
- {name: {{ .prefix }}_CORS_ORIGINS, value: {{ list (include "bookstore.publicUrl" (dict "root" .root "host" .root.Values.hosts.ui)) | toJson | quote }}}
{{- end -}}

{{- define "bookstore.ecomEnv" -}}
{{- $c := .Values.ecom -}}
- {name: ECOM_ENVIRONMENT, value: production}
- {name: ECOM_HOST, value: "0.0.0.0"}
- {name: ECOM_PORT, value: {{ $c.port | quote }}}
- {name: ECOM_WORKERS, value: {{ $c.workers | quote }}}
- {name: ECOM_LOG_LEVEL, value: {{ $c.logLevel | quote }}}
- {name: ECOM_CURRENCY, value: {{ $c.currency | quote }}}
- {name: ECOM_INVENTORY_URL, value: {{ printf "http://inventory.%s.svc:8000" .Values.namespaces.app | quote }}}
- {name: ECOM_OIDC_TOKEN_URL, value: {{ printf "%s/realms/bookstore/protocol/openid-connect/token" (include "bookstore.keycloakInternal" .) | quote }}}
- {name: ECOM_SERVICE_CLIENT_ID, value: ecom-service}
- {name: ECOM_TRUSTED_PROXY_HOPS, value: "1"}
{{ include "bookstore.oidcEnv" (dict "root" . "prefix" "ECOM") }}
{{ include "bookstore.otelEnv" (dict "root" . "service" "ecom") }}
{{- end -}}

{{- define "bookstore.inventoryEnv" -}}
{{- $c := .Values.inventory -}}
- {name: INVENTORY_ENVIRONMENT, value: production}
- {name: INVENTORY_HOST, value: "0.0.0.0"}
- {name: INVENTORY_PORT, value: {{ $c.port | quote }}}
- {name: INVENTORY_LOG_LEVEL, value: {{ $c.logLevel | quote }}}
- {name: INVENTORY_KAFKA_BOOTSTRAP, value: {{ include "bookstore.kafkaBootstrap" . | quote }}}
- {name: INVENTORY_OIDC_CLIENT_ID, value: inventory-service}
- {name: INVENTORY_TRUSTED_PROXY_HOPS, value: "1"}
{{ include "bookstore.oidcEnv" (dict "root" . "prefix" "INVENTORY") }}
{{ include "bookstore.otelEnv" (dict "root" . "service" "inventory") }}
{{- end -}}
