{{/* Names, labels and the shared pod pieces of the segwatch chart. */}}

{{- define "segwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "segwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's object name: <fullname>-<component>, at most 63 characters. */}}
{{- define "segwatch.componentName" -}}
{{- printf "%s-%s" (include "segwatch.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "segwatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: segwatch
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component; dict "root" $ "component" "api". */}}
{{- define "segwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "segwatch.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "segwatch.componentLabels" -}}
{{ include "segwatch.labels" .root }}
{{ include "segwatch.selectorLabels" . }}
{{- end -}}

{{- define "segwatch.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* ServiceAccount name of a component; dict "root" $ "component" "api" "sa" .Values.api.serviceAccount. */}}
{{- define "segwatch.serviceAccountName" -}}
{{- if .sa.create -}}
{{- default (include "segwatch.componentName" .) .sa.name -}}
{{- else -}}
{{- default "default" .sa.name -}}
{{- end -}}
{{- end -}}

{{- define "segwatch.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- printf "nats://%s.%s.svc:4222" (include "segwatch.componentName" (dict "root" . "component" "nats")) .Release.Namespace -}}
{{- else -}}
{{- required "nats.external.url is required when nats.bundled.enabled is false" .Values.nats.external.url -}}
{{- end -}}
{{- end -}}

{{/* The tokens Secret of the api: the user's, or the one the chart generates. */}}
{{- define "segwatch.apiTokensSecret" -}}
{{- default (include "segwatch.componentName" (dict "root" . "component" "api-tokens")) .Values.api.tokens.existingSecret -}}
{{- end -}}

{{/* Restricted pod security (Pod Security Standards "restricted"); the image's user is 1000. */}}
{{- define "segwatch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "segwatch.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* NATS connection settings of every segwatch container: URL and, for an external server, credentials. */}}
{{- define "segwatch.natsEnv" -}}
- name: NATS_URL
  value: {{ include "segwatch.natsUrl" . | quote }}
- name: SEGWATCH_STREAM_REPLICAS
  value: {{ include "segwatch.streamReplicas" . | quote }}
{{- $auth := .Values.nats.external.auth }}
{{- if and (not .Values.nats.bundled.enabled) $auth.secretName }}
{{- if $auth.credsKey }}
- name: NATS_CREDS
  value: /etc/segwatch/nats/nats.creds
{{- end }}
{{- range $env, $key := dict "NATS_TOKEN" $auth.tokenKey "NATS_USER" $auth.userKey "NATS_PASSWORD" $auth.passwordKey }}
{{- if $key }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $auth.secretName }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Stream/KV replicas of every process; the bundled single server can hold only one. */}}
{{- define "segwatch.streamReplicas" -}}
{{- $r := int .Values.nats.streamReplicas -}}
{{- if and .Values.nats.bundled.enabled (gt $r 1) -}}
{{- fail (printf "nats.streamReplicas: the bundled NATS is a single server and holds 1 replica; %d needs a JetStream cluster of at least %d servers (nats.bundled.enabled=false, nats.external.url)" $r $r) -}}
{{- end -}}
{{- $r -}}
{{- end -}}

{{/* The delivery workers' ServiceAccount name. */}}
{{- define "segwatch.deliverServiceAccountName" -}}
{{- include "segwatch.serviceAccountName" (dict "root" . "component" "deliver" "sa" .Values.controller.delivery.serviceAccount) -}}
{{- end -}}

{{/* The controller's flags that give the delivery Deployments what the chart's own pods get. */}}
{{- define "segwatch.deliveryArgs" -}}
- --delivery-image={{ include "segwatch.image" . }}
- --delivery-image-pull-policy={{ .Values.image.pullPolicy }}
{{- with .Values.imagePullSecrets }}
{{- $names := list }}
{{- range . }}{{ $names = append $names .name }}{{ end }}
- --delivery-image-pull-secrets={{ join "," $names }}
{{- end }}
- --delivery-service-account={{ include "segwatch.deliverServiceAccountName" . }}
{{- $auth := .Values.nats.external.auth }}
{{- if and (not .Values.nats.bundled.enabled) $auth.secretName }}
- --delivery-nats-secret={{ $auth.secretName }}
{{- with $auth.credsKey }}
- --delivery-nats-creds-key={{ . }}
{{- end }}
{{- with $auth.tokenKey }}
- --delivery-nats-token-key={{ . }}
{{- end }}
{{- with $auth.userKey }}
- --delivery-nats-user-key={{ . }}
{{- end }}
{{- with $auth.passwordKey }}
- --delivery-nats-password-key={{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "segwatch.natsCredsMounted" -}}
{{- if and (not .Values.nats.bundled.enabled) .Values.nats.external.auth.secretName .Values.nats.external.auth.credsKey -}}true{{- end -}}
{{- end -}}

{{- define "segwatch.natsVolumeMounts" -}}
{{- if include "segwatch.natsCredsMounted" . }}
- name: nats-creds
  mountPath: /etc/segwatch/nats
  readOnly: true
{{- end }}
{{- end -}}

{{- define "segwatch.natsVolumes" -}}
{{- if include "segwatch.natsCredsMounted" . }}
- name: nats-creds
  secret:
    secretName: {{ .Values.nats.external.auth.secretName }}
    items:
      - key: {{ .Values.nats.external.auth.credsKey }}
        path: nats.creds
{{- end }}
{{- end -}}

{{/* Common pod scheduling settings of a component's values. */}}
{{- define "segwatch.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "segwatch.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
