{{/*
Names, labels, images, pod hardening and generated secrets shared by every template.
*/}}

{{- define "bookstore.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Labels of every object; "component" names the part (ecom, keycloak, ...). Call with (dict "root" $ "component" "x"). */}}
{{- define "bookstore.labels" -}}
helm.sh/chart: {{ include "bookstore.chart" .root }}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: bookstore
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Selector labels: stable across upgrades (no version). */}}
{{- define "bookstore.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* A bookstore image: registry/bookstore/<name>:<tag>, the tag defaulting to appVersion (pinned, never latest). */}}
{{- define "bookstore.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s/bookstore/%s:%s" .root.Values.image.registry .name $tag -}}
{{- end -}}

{{/* Pod-level security context: non-root numeric UID, RuntimeDefault seccomp. Call with (dict "root" $ "uid" n). */}}
{{- define "bookstore.podSecurityContext" -}}
{{- $uid := .uid | default .root.Values.podDefaults.runAsUser -}}
runAsNonRoot: true
runAsUser: {{ $uid }}
runAsGroup: {{ .gid | default .root.Values.podDefaults.runAsGroup }}
fsGroup: {{ .gid | default .root.Values.podDefaults.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: read-only root, no privilege escalation, every capability dropped. */}}
{{- define "bookstore.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* HTTP probes on one path: startup gives a slow first start (migrations) time, liveness restarts a hung process,
     readiness takes a pod out of its Service while a dependency is down. Call with (dict "port" p "live" path "ready" path). */}}
{{- define "bookstore.httpProbes" -}}
startupProbe:
  httpGet: {path: {{ .live }}, port: {{ .port }}}
  periodSeconds: 5
  failureThreshold: {{ .startupFailures | default 60 }}
livenessProbe:
  httpGet: {path: {{ .live }}, port: {{ .port }}}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: {{ .ready }}, port: {{ .port }}}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{/*
A generated password, the same in every template of one render and kept across upgrades.
Where it lives: the Secret "bookstore-generated" in the release namespace (created by templates/secrets.yaml,
kept on uninstall because the databases' volumes keep the old passwords). `lookup` reads it on upgrade; on first
install (and under `helm template`, where lookup returns nothing) a random value is drawn once and memoised in
.Values so that every Secret made from it agrees. Call with (dict "root" $ "key" "ecom-db").
*/}}
{{- define "bookstore.password" -}}
{{- $root := .root -}}
{{- if not (hasKey $root.Values "__generated") -}}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace "bookstore-generated" -}}
{{- $_ := set $root.Values "__generated" (dict) -}}
{{- if $existing -}}
{{- range $k, $v := $existing.data -}}
{{- $_ := set $root.Values.__generated $k (b64dec $v) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not (hasKey $root.Values.__generated .key) -}}
{{- $_ := set $root.Values.__generated .key (randAlphaNum 32) -}}
{{- end -}}
{{- index $root.Values.__generated .key -}}
{{- end -}}

{{/* Every generated password's key, so templates/secrets.yaml stores each one (and a typo'd key fails the render). */}}
{{- define "bookstore.passwordKeys" -}}
{{- list "ecom-db" "inventory-db" "keycloak-db" "analytics-db" "debezium" "flink-writer" "reporting" "superset-db" "redis" "keycloak-admin" "ecom-client" "inventory-client" "superset-client" "superset-secret-key" "superset-admin" "customer" "admin" "analyst" "pgadmin" | toJson -}}
{{- end -}}

{{/* In-cluster addresses. */}}
{{- define "bookstore.pgHost" -}}{{ .name }}-rw.{{ .root.Values.namespaces.data }}.svc{{- end -}}
{{- define "bookstore.redisHost" -}}redis.{{ .Values.namespaces.data }}.svc{{- end -}}
{{- define "bookstore.kafkaBootstrap" -}}{{ .Values.kafka.clusterName }}-kafka-bootstrap.{{ .Values.namespaces.data }}.svc:9092{{- end -}}
{{- define "bookstore.keycloakInternal" -}}http://keycloak.{{ .Values.namespaces.identity }}.svc:8080{{- end -}}
{{- define "bookstore.issuer" -}}https://{{ .Values.hosts.idp }}:{{ .Values.hosts.port }}/realms/bookstore{{- end -}}
{{- define "bookstore.publicUrl" -}}https://{{ .host }}:{{ .root.Values.hosts.port }}{{- end -}}

{{/* The SMTP relay the notifier and Keycloak use. */}}
{{- define "bookstore.smtpHost" -}}
{{- if .Values.smtp.mailpit.enabled -}}mailpit.{{ .Values.namespaces.app }}.svc{{- else -}}{{ required "smtp.host is required when smtp.mailpit.enabled is false" .Values.smtp.host }}{{- end -}}
{{- end -}}
{{- define "bookstore.smtpPort" -}}
{{- if .Values.smtp.mailpit.enabled -}}1025{{- else -}}{{ .Values.smtp.port }}{{- end -}}
{{- end -}}
{{- define "bookstore.smtpTls" -}}
{{- if .Values.smtp.mailpit.enabled -}}none{{- else -}}{{ .Values.smtp.tls }}{{- end -}}
{{- end -}}

{{/* Mesh principal of a service account: spiffe path without the scheme, as AuthorizationPolicy wants it. */}}
{{- define "bookstore.principal" -}}
{{ .root.Values.istio.trustDomain }}/ns/{{ .ns }}/sa/{{ .sa }}
{{- end -}}

{{/* Namespaces this chart creates: every one in .Values.namespaces except the release's and the external ones. */}}
{{- define "bookstore.ownedNamespaces" -}}
{{- $v := .Values.namespaces -}}
{{- $out := list -}}
{{- range (list $v.data $v.identity $v.analytics $v.gateway $v.observability) -}}
{{- if and (ne . $.Release.Namespace) (not (has . $v.external)) (not (has . $out)) -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Pods of the app namespace join the ambient mesh by their own label: the release namespace is created by
     `helm --create-namespace`, so this chart cannot label it (the other namespaces carry the label themselves). */}}
{{- define "bookstore.appMeshLabels" -}}
{{- if .Values.istio.enabled -}}
istio.io/dataplane-mode: ambient
{{- end -}}
{{- end -}}
