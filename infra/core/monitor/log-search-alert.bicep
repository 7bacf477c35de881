// One log search alert rule (Microsoft.Insights/scheduledQueryRules) on an Application Insights component:
// it fires when the query returns at least one row, one alert per combination of the dimension columns.
//
// API version 2023-12-01 is the newest stable one (later ones are previews), per the template reference
// https://learn.microsoft.com/azure/templates/microsoft.insights/2023-12-01/scheduledqueryrules and the REST spec
// (Azure/azure-rest-api-specs, specification/monitor/resource-manager/Microsoft.Insights/stable/2023-12-01).
// What each setting does, and its limits, from "Create or edit a log search alert rule"
// (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule):
//   - the measure is "Table rows" (timeAggregation Count): the service counts the rows itself, so the query only
//     selects the rows that are the problem (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-log-query);
//   - up to six dimensions, string or numeric columns; each combination is its own alert, billed as its own time
//     series;
//   - the query time range is windowSize x numberOfEvaluationPeriods unless overrideQueryTimeRange is set, and is at
//     most two days, whatever the query says;
//   - autoMitigate (stateful): an alert fires once per dimension combination and not again until it resolves, which
//     for a 5-minute frequency is after three evaluations without it; a resolved notification is sent then
//     (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview#alerts-and-state).
// No managed identity: the rule queries with the rights of whoever deployed or last edited it (the same page,
// "Identity": None), which the deployer has on its own Application Insights. A rule identity would need a role on
// the component that propagates only after the rule exists, while creating the rule already validates its query.

@description('Rule name (in this resource group).')
param name string

@description('Region of the rule.')
param location string = resourceGroup().location

param tags object = {}

@description('Name shown in the portal.')
param displayName string

@description('What the alert means and what to do; part of every notification (at most 4,096 characters).')
@maxLength(4096)
param ruleDescription string

@description('0 critical, 1 error, 2 warning, 3 informational, 4 verbose.')
@minValue(0)
@maxValue(4)
param severity int

@description('Application Insights component the query runs against (in this resource group).')
param applicationInsightsName string

@description('KQL over the component\'s tables. Every row it returns counts as one occurrence.')
param query string

@description('Columns of the query result to split alerts by (at most six, string or numeric).')
@maxLength(6)
param dimensions string[]

@description('How often the rule runs (ISO 8601 duration).')
param evaluationFrequency string = 'PT5M'

@description('Time range the query sees (ISO 8601 duration), when overrideQueryTimeRange is empty.')
param windowSize string

@description('Longer time range for the query (ISO 8601 duration, at most P2D). Empty: windowSize.')
param overrideQueryTimeRange string = ''

@description('Action group resource ids notified when an alert fires or resolves. Empty: the alert shows in the portal only.')
param actionGroupIds string[] = []

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource rule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: name
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: displayName
    description: ruleDescription
    severity: severity
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: evaluationFrequency
    windowSize: windowSize
    overrideQueryTimeRange: empty(overrideQueryTimeRange) ? null : overrideQueryTimeRange
    criteria: {
      allOf: [
        {
          query: query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            for dimension in dimensions: {
              name: dimension
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    // The query is checked against the component when the rule is created; a rule with a broken query is refused
    // instead of failing every evaluation until Azure Monitor disables it after a week
    // (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-troubleshoot-log).
    skipQueryValidation: false
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

output id string = rule.id
output name string = rule.name
