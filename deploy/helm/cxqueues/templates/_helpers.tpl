{{/* The chart's name. */}}
{{- define "cxqueues.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name (DNS-1123, at most 63 characters). */}}
{{- define "cxqueues.fullname" -}}
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

{{- define "cxqueues.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cxqueues.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cxqueues.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "cxqueues.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cxqueues.serviceAccountName" -}}
{{- default (include "cxqueues.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Lease's name: from the values, else the release's full name. */}}
{{- define "cxqueues.leaseName" -}}
{{- default (include "cxqueues.fullname" .) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "cxqueues.tenantSecret" -}}
{{- default (printf "%s-tenant" (include "cxqueues.fullname" .)) .Values.tenant.existingSecret -}}
{{- end -}}

{{- define "cxqueues.gitSecret" -}}
{{- default (printf "%s-git" (include "cxqueues.fullname" .)) .Values.git.existingSecret -}}
{{- end -}}

{{- define "cxqueues.tokenSecret" -}}
{{- default (printf "%s-token" (include "cxqueues.fullname" .)) .Values.statusToken.existingSecret -}}
{{- end -}}

{{/* A StatefulSet (one volume per pod) for two replicas or more, else a Deployment. */}}
{{- define "cxqueues.statefulset" -}}
{{- if ge (int .Values.replicaCount) 2 -}}true{{- end -}}
{{- end -}}

{{/* The pod template, shared by the Deployment and the StatefulSet. */}}
{{- define "cxqueues.podTemplate" -}}
metadata:
  labels:
    {{- include "cxqueues.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "cxqueues.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.leaderElection.enabled }}
  # Longer than --shutdown-grace: the write in flight finishes, then the Lease is released.
  terminationGracePeriodSeconds: {{ add .Values.shutdownGraceSeconds 15 }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: cxqueues
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - run
        - --git-url={{ required "git.url is required: the repository to follow" .Values.git.url }}
        - --branch={{ .Values.git.branch }}
        - --poll={{ .Values.git.poll }}
        - --resync={{ .Values.resync }}
        - --state-dir=/var/lib/cxqueues
        - --listen=0.0.0.0:9464
        - --status-requires-token
        - --shutdown-grace={{ .Values.shutdownGraceSeconds }}s
        {{- if not .Values.selfHeal }}
        - --no-self-heal
        {{- end }}
        {{- if .Values.leaderElection.enabled }}
        - --leader-elect
        - --leader-elect-lease-name={{ include "cxqueues.leaseName" . }}
        - --leader-elect-lease-duration={{ .Values.leaderElection.leaseDurationSeconds }}s
        - --leader-elect-renew-deadline={{ .Values.leaderElection.renewDeadlineSeconds }}s
        - --leader-elect-retry-period={{ .Values.leaderElection.retryPeriodSeconds }}s
        {{- end }}
        {{- with .Values.optimize }}
        {{- if .every }}
        - --optimize-every={{ .every }}
        - --optimize-branch={{ .branch }}
        {{- if .author }}
        - {{ printf "--optimize-author=%s" .author | quote }}
        {{- end }}
        {{- end }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        - name: HOME
          value: /tmp
        - name: CXQUEUES_TRIGGER_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ include "cxqueues.tokenSecret" . }}
              key: token
        {{- if .Values.webhook.existingSecret }}
        - name: CXQUEUES_GITHUB_WEBHOOK_SECRET
          valueFrom:
            secretKeyRef:
              name: {{ .Values.webhook.existingSecret }}
              key: secret
        {{- end }}
        {{- if eq .Values.git.auth "token" }}
        - name: CXQUEUES_GIT_TOKEN_FILE
          value: /etc/cxqueues/git/token
        {{- with .Values.git.user }}
        - name: CXQUEUES_GIT_USER
          value: {{ . | quote }}
        {{- end }}
        {{- else if eq .Values.git.auth "ssh" }}
        - name: CXQUEUES_GIT_SSH_KEY_FILE
          value: /etc/cxqueues/git/ssh-privatekey
        - name: CXQUEUES_GIT_KNOWN_HOSTS
          value: /etc/cxqueues/git/known_hosts
        {{- end }}
      envFrom:
        - secretRef:
            name: {{ include "cxqueues.tenantSecret" . }}
      ports:
        - name: http
          containerPort: 9464
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: state
          mountPath: /var/lib/cxqueues
        - name: tmp
          mountPath: /tmp
        {{- if ne .Values.git.auth "none" }}
        - name: git-credentials
          mountPath: /etc/cxqueues/git
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if not .Values.persistence.enabled }}
    - name: state
      emptyDir: {}
    {{- else if not (include "cxqueues.statefulset" .) }}
    - name: state
      persistentVolumeClaim:
        claimName: {{ include "cxqueues.fullname" . }}
    {{- end }}
    {{- if ne .Values.git.auth "none" }}
    - name: git-credentials
      secret:
        secretName: {{ include "cxqueues.gitSecret" . }}
        # Readable by the pod's group (fsGroup); libssh2 does not insist on 0600.
        defaultMode: 0440
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The PersistentVolumeClaim's spec (a claim of its own, or the StatefulSet's template). */}}
{{- define "cxqueues.claimSpec" -}}
accessModes:
  {{- toYaml .Values.persistence.accessModes | nindent 2 }}
{{- with .Values.persistence.storageClass }}
storageClassName: {{ . | quote }}
{{- end }}
resources:
  requests:
    storage: {{ .Values.persistence.size }}
{{- end -}}
