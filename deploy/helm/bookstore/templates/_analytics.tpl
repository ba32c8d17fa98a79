{{/* Superset's environment: the variables deploy/local/superset/superset_config.py reads. */}}
{{- define "bookstore.supersetEnv" -}}
- {name: SUPERSET_ADMIN_USER, value: admin}
- {name: BOOKSTORE_OIDC_ISSUER, value: {{ include "bookstore.issuer" . | quote }}}
- {name: BOOKSTORE_OIDC_BACKCHANNEL, value: {{ printf "%s/realms/bookstore" (include "bookstore.keycloakInternal" .) | quote }}}
- {name: BOOKSTORE_SUPERSET_STAMP, value: /app/superset_home/setup.stamp}
- {name: BOOKSTORE_SUPERSET_SETUP, value: {{ .Chart.AppVersion | quote }}}
- {name: BOOKSTORE_SUPERSET_DATA_CACHE_SECONDS, value: "5"}
- {name: SUPERSET_HOME, value: /app/superset_home}
{{- end -}}

{{- define "bookstore.supersetMounts" -}}
- {name: home, mountPath: /app/superset_home}
- {name: tmp, mountPath: /tmp}
{{- end -}}

{{- define "bookstore.supersetVolumes" -}}
- name: home
  emptyDir: {sizeLimit: 256Mi}
- name: tmp
  emptyDir: {sizeLimit: 256Mi}
{{- end -}}
