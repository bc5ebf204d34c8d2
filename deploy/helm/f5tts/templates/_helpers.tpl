{{/*
Chart name, truncated to the 63 characters Kubernetes allows in names and label values.
*/}}
{{- define "f5tts.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: fullnameOverride, else "<release>-<chart>" (just the release name when it
already contains the chart name).
*/}}
{{- define "f5tts.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "f5tts.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "f5tts.labels" -}}
helm.sh/chart: {{ include "f5tts.chart" . }}
{{ include "f5tts.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the pods (immutable once deployed).
*/}}
{{- define "f5tts.selectorLabels" -}}
app.kubernetes.io/name: {{ include "f5tts.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "f5tts.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "f5tts.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Container image reference. Without image.tag: the appVersion tag (the GPU image, deploy/Dockerfile's default
target), or appVersion-cpu with gpu.enabled=false (target runtime-cpu, the tag deploy/test-image.sh builds).
*/}}
{{- define "f5tts.image" -}}
{{- $tag := .Chart.AppVersion }}
{{- if not .Values.gpu.enabled }}
{{- $tag = printf "%s-cpu" .Chart.AppVersion }}
{{- end }}
{{- printf "%s:%s" (required "image.repository is required" .Values.image.repository) (.Values.image.tag | default $tag) }}
{{- end }}

{{/*
Name of the Secret holding the API keys: the existing one, else the chart's.
*/}}
{{- define "f5tts.secretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- printf "%s-auth" (include "f5tts.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Claim names: the existing claim when given, else the claim this chart creates.
*/}}
{{- define "f5tts.modelsClaim" -}}
{{- .Values.persistence.models.existingClaim | default (printf "%s-models" (include "f5tts.fullname" .)) }}
{{- end }}

{{- define "f5tts.voicesClaim" -}}
{{- .Values.persistence.voices.existingClaim | default (printf "%s-voices" (include "f5tts.fullname" .)) }}
{{- end }}

{{- define "f5tts.trtCacheClaim" -}}
{{- .Values.persistence.trtCache.existingClaim | default (printf "%s-trt-cache" (include "f5tts.fullname" .)) }}
{{- end }}

{{/*
Checks across values that a schema cannot express; rendered (as nothing) by the Deployment.
*/}}
{{- define "f5tts.validate" -}}
{{- $drain := add (int .Values.shutdown.preStopSleepSeconds) (int .Values.shutdown.timeoutSeconds) }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $drain) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least shutdown.preStopSleepSeconds + shutdown.timeoutSeconds (%d), or in-flight requests are killed during the drain" (int .Values.terminationGracePeriodSeconds) (int $drain)) }}
{{- end }}
{{- if and .Values.gpu.enabled (lt (int .Values.gpu.count) 1) }}
{{- fail "gpu.count must be at least 1 when gpu.enabled is true" }}
{{- end }}
{{- $autoscaled := or .Values.autoscaling.hpa.enabled .Values.autoscaling.keda.enabled }}
{{- if and .Values.autoscaling.hpa.enabled .Values.autoscaling.keda.enabled }}
{{- fail "autoscaling.hpa.enabled and autoscaling.keda.enabled exclude each other: KEDA creates its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if and $autoscaled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- $pods := int .Values.replicaCount }}
{{- if and $autoscaled (gt (int .Values.autoscaling.maxReplicas) $pods) }}
{{- $pods = int .Values.autoscaling.maxReplicas }}
{{- end }}
{{- if and (gt $pods 1) (not .Values.persistence.voices.existingClaim) .Values.persistence.voices.enabled (not (has "ReadWriteMany" .Values.persistence.voices.accessModes)) }}
{{- fail "replicaCount (or autoscaling.maxReplicas) > 1 needs a ReadWriteMany voices volume: set persistence.voices.accessModes to [ReadWriteMany] or use persistence.voices.existingClaim" }}
{{- end }}
{{- if and (gt $pods 1) (not .Values.persistence.trtCache.existingClaim) .Values.persistence.trtCache.enabled (not (has "ReadWriteMany" .Values.persistence.trtCache.accessModes)) }}
{{- fail "replicaCount (or autoscaling.maxReplicas) > 1 needs a ReadWriteMany TensorRT cache volume: set persistence.trtCache.accessModes to [ReadWriteMany], use persistence.trtCache.existingClaim, or disable it (emptyDir per pod)" }}
{{- end }}
{{- end }}
