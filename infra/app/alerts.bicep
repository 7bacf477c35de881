// Azure Monitor alerts on the events aci-jobs sends to Application Insights (src/telemetry/events.ts, table
// customEvents; every dimension is a string in customDimensions), and the action group that e-mails them.
// docs/deploy.md ("Alerts and where to look") explains each rule to operators; test/infra/alerts.test.ts checks
// the queries against the event contract and parses them with the Kusto language service.
//
// rule                 fires when                                                            severity  split by
// run-failed           a run ended failed or timedOut (RunFinished)                          2         job, runId, state, reason, exitCode
// group-not-deleted    a container group could not be deleted (ContainerGroupNotDeleted)     1         job, group, resourceGroup
// slot-skipped         a slot skipped for overlap, or slots found missed (ScheduleSlot)      2         job, action, slot
// slot-overdue         no ScheduleSlot from a job although its nextSlot + grace is past      2         job, nextSlot
// notification-failed  a webhook notification could not be delivered (NotificationFailed)    3         job, runId, state
//
// Severities: 1 (error) for a group that was not deleted, because it keeps costing money until someone acts;
// 2 (warning) for work that did not happen as scheduled; 3 (informational) for a lost notification, since the
// run itself is recorded. Every rule runs every 5 minutes: the events are rare and nobody acts within a minute,
// while a shorter frequency costs more per rule (https://azure.microsoft.com/pricing/details/monitor/) and forbids
// some operators (one-minute rules: https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule).
//
// Time ranges. The event rules look back 15 minutes (three evaluations; the group rule 30, see there), so an event that reaches the workspace
// late is still seen (typical ingestion latency is 20 s to 3 min:
// https://learn.microsoft.com/azure/azure-monitor/logs/data-ingestion-time); being stateful and split by the run
// (or group, or slot), each occurrence still notifies once. The absence check needs each job's latest ScheduleSlot,
// so it reads the longest range a log search alert allows, two days ("the alert time range is limited to a maximum
// of two days", alerts-create-log-alert-rule, Override query time range). That bounds what it can see:
//   - a schedule whose slots are further apart than 2 days minus the grace and one evaluation (about 47 hours
//     with the default grace) is never reported overdue: its last event has left the range before the slot is late;
//   - an outage longer than two days stops being reported (the alert resolves) once the last event leaves the
//     range, although nothing ran; the e-mail when it started is the signal;
//   - a job removed from the app, or a timer disabled through AzureWebJobs.schedule_<job>.Disabled, is reported
//     overdue until its last event is two days old.
// The slot-skipped rule covers what the app notices itself (catch-up finds missed slots after a restart).
//
// Queries live in alerts/*.kql, loaded as they are, so the same text can be pasted into Logs.

@description('Region of the alert rules (the action group is global).')
param location string = resourceGroup().location

param tags object = {}

@description('azd environment name, quoted in the rules\' descriptions so an e-mail says which deployment it is about.')
param environmentName string

@description('Application Insights component the rules query (in this resource group).')
param applicationInsightsName string

@description('Action group name.')
param actionGroupName string

@description('E-mail address notified of every alert. Empty: no action group; the rules still fire and show in the portal.')
@maxLength(64)
param alertEmail string = ''

@description('Rule names: runFailed, groupNotDeleted, slotSkipped, slotOverdue, notificationFailed.')
param ruleNames {
  runFailed: string
  groupNotDeleted: string
  slotSkipped: string
  slotOverdue: string
  notificationFailed: string
}

@description('Minutes after a slot was due before a job without a ScheduleSlot event for it is reported overdue.')
@minValue(10)
@maxValue(1440)
param missedSlotGraceMinutes int = 30

// One e-mail receiver with the common alert schema, the format the rules' notifications are documented in
// (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema). Action groups are global
// resources; the short name (at most 12 characters) appears in SMS and e-mail. Template reference (2023-01-01 is
// the newest stable version): https://learn.microsoft.com/azure/templates/microsoft.insights/2023-01-01/actiongroups;
// limits (an address of at most 64 characters, at most 100 e-mails an hour per address and region):
// https://learn.microsoft.com/azure/azure-monitor/service-limits#action-groups. A new address must confirm a
// one-time passcode within 30 minutes of the deployment before it receives anything
// (https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups, Notification types, Email).
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'aci-jobs'
    enabled: true
    emailReceivers: [
      {
        name: 'alert-email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmail) ? [] : [actionGroup.id]
var where = 'aci-jobs environment \'${environmentName}\''
var lookHere = 'The e-mail links to the query results, one row per occurrence with every field; docs/deploy.md, "Alerts and where to look", explains each alert.'

module runFailed '../core/monitor/log-search-alert.bicep' = {
  name: 'alert-run-failed'
  params: {
    name: ruleNames.runFailed
    location: location
    tags: tags
    displayName: 'aci-jobs: a run failed or timed out'
    ruleDescription: '${where}: a run ended failed or timedOut (event RunFinished), after its retries. The dimensions say which job and run, the reason and the exit code. Read the run with GET /api/jobs/{job}/runs/{runId} and its output with GET /api/jobs/{job}/runs/{runId}/logs (the log record in the host storage account, container aci-jobs-runs). ${lookHere}'
    severity: 2
    applicationInsightsName: applicationInsightsName
    query: loadTextContent('alerts/run-failed.kql')
    dimensions: [
      'job'
      'runId'
      'state'
      'reason'
      'exitCode'
    ]
    windowSize: 'PT15M'
    actionGroupIds: actionGroupIds
  }
}

// Split by the group, not by the run or by who tried: the run's own delete and the orphan sweeper's retries
// (every 15 minutes, ORPHAN_SWEEP_SCHEDULE in src/functions/orphanSweeper.ts) are the same problem. The 30-minute
// range spans two sweeps, so while the sweeper keeps reporting failures the alert stays open, and it resolves
// once the reports stop.
module groupNotDeleted '../core/monitor/log-search-alert.bicep' = {
  name: 'alert-group-not-deleted'
  params: {
    name: ruleNames.groupNotDeleted
    location: location
    tags: tags
    displayName: 'aci-jobs: a container group could not be deleted'
    ruleDescription: '${where}: a container group could not be deleted (event ContainerGroupNotDeleted, by the run or by the orphan sweeper), so it keeps running and costing money. Check with az container show -g <resourceGroup> -n <group>, and delete it with az container delete if it is still there. The alert resolves once no failure has been reported for about half an hour. ${lookHere}'
    severity: 1
    applicationInsightsName: applicationInsightsName
    query: loadTextContent('alerts/group-not-deleted.kql')
    dimensions: [
      'job'
      'group'
      'resourceGroup'
    ]
    windowSize: 'PT30M'
    actionGroupIds: actionGroupIds
  }
}

module slotSkipped '../core/monitor/log-search-alert.bicep' = {
  name: 'alert-slot-skipped'
  params: {
    name: ruleNames.slotSkipped
    location: location
    tags: tags
    displayName: 'aci-jobs: a scheduled slot did not start a run'
    ruleDescription: '${where}: a job\'s timer did not start a run for a slot (event ScheduleSlot): action skippedOverlap means the previous run was still going and the job\'s overlap policy skips; action missed means the app found slots that passed while it was not running (slots says how many, slot is the first). Backfill them with POST /api/jobs/{job}/backfill if they matter. ${lookHere}'
    severity: 2
    applicationInsightsName: applicationInsightsName
    query: loadTextContent('alerts/slot-skipped.kql')
    dimensions: [
      'job'
      'action'
      'slot'
    ]
    windowSize: 'PT15M'
    actionGroupIds: actionGroupIds
  }
}

// Split by job and the slot it waits for, never by a value that changes between evaluations (overdueMinutes):
// a new combination would be a new alert every five minutes.
module slotOverdue '../core/monitor/log-search-alert.bicep' = {
  name: 'alert-slot-overdue'
  params: {
    name: ruleNames.slotOverdue
    location: location
    tags: tags
    displayName: 'aci-jobs: a scheduled slot is overdue'
    ruleDescription: '${where}: a job\'s next slot (nextSlot of its latest ScheduleSlot event) passed more than ${missedSlotGraceMinutes} minutes ago and its timer has reported nothing since: the app is down, or the timer did not fire or is disabled. Check the Function App and its log stream. Only the last two days are searched, so a schedule whose slots are more than two days less the grace apart is not covered. ${lookHere}'
    severity: 2
    applicationInsightsName: applicationInsightsName
    query: replace(loadTextContent('alerts/slot-overdue.kql'), 'let grace = 30m;', 'let grace = ${missedSlotGraceMinutes}m;')
    dimensions: [
      'job'
      'nextSlot'
    ]
    windowSize: 'PT5M'
    overrideQueryTimeRange: 'P2D'
    actionGroupIds: actionGroupIds
  }
}

module notificationFailed '../core/monitor/log-search-alert.bicep' = {
  name: 'alert-notification-failed'
  params: {
    name: ruleNames.notificationFailed
    location: location
    tags: tags
    displayName: 'aci-jobs: a run notification was not delivered'
    ruleDescription: '${where}: a run\'s notification could not be delivered after its retries (event NotificationFailed). The run itself is recorded; read it with GET /api/jobs/{job}/runs/{runId}. runId is none and state is missed for the notification of slots that started no run. Check the job\'s notify.webhook endpoint. ${lookHere}'
    severity: 3
    applicationInsightsName: applicationInsightsName
    query: loadTextContent('alerts/notification-failed.kql')
    dimensions: [
      'job'
      'runId'
      'state'
    ]
    windowSize: 'PT15M'
    actionGroupIds: actionGroupIds
  }
}
