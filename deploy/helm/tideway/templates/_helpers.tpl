{{/* The chart's name. */}}
{{- define "tideway.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: the release name, or release-chart when the release name does not contain the chart's. */}}
{{- define "tideway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tideway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tideway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tideway.labels" -}}
{{ include "tideway.selectorLabels" . }}
app.kubernetes.io/part-of: tideway
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tideway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tideway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* "namespace/name" of the Service whose address goes into Ingress status, or "" for none. */}}
{{- define "tideway.publishService" -}}
{{- if and .Values.publishService.enabled (not .Values.publishAddress) -}}
{{- default (printf "%s/%s" .Release.Namespace (include "tideway.fullname" .)) .Values.publishService.name -}}
{{- end -}}
{{- end -}}

{{/* The rules Tideway needs on namespaced objects: list/watch what it serves, status, Events. */}}
{{- define "tideway.namespacedRules" -}}
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["list", "watch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["services", "secrets", "configmaps"]
  verbs: ["list", "watch"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
- apiGroups: ["tideway.dev"]
  resources: ["middlewares"]
  verbs: ["list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways", "httproutes", "grpcroutes", "referencegrants", "backendtlspolicies", "listenersets"]
  verbs: ["list", "watch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways", "listenersets", "httproutes", "grpcroutes", "backendtlspolicies"]
  verbs: ["get"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways/status", "listenersets/status", "httproutes/status", "grpcroutes/status", "backendtlspolicies/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch", "get"]
{{- end -}}
