// aci-jobs: Azure Functions (Flex Consumption, Node.js 22, Durable Functions on Azure Storage) that runs
// scheduled container jobs in Azure Container Instances.
//
// Two resource groups:
//   rg-<env>       the app: Function App + plan, user-assigned identity, host storage, Key Vault, monitoring
//                  and its alert rules (app/alerts.bicep)
//   rg-<env>-jobs  empty at deployment; the app creates and deletes container groups there at run time.
//                  The app's only right on it is the custom role from app/jobs-role.bicep.
// Deploy with `azd up`, or `az deployment sub create` (see docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Environment name (azd: AZURE_ENV_NAME). Used in resource group names and in the unique suffix of resource names.')
param environmentName string

// Regions that offer the Flex Consumption plan, copied from Azure-Samples/functions-quickstart-typescript-azd,
// infra/main.bicep (list last changed 2025-05-06, commit 57f9152; read at cba3922, 2026-02). azd offers only these
// when it asks for a region. Flex Consumption reaches new regions over time: to refresh the list, run
//   az functionapp list-flexconsumption-locations --query "sort_by([], &name)[].name" -o tsv
// and replace the entries below (a region missing here is refused before anything is deployed).
@minLength(1)
@description('Region of the app. It must offer the Flex Consumption plan: `az functionapp list-flexconsumption-locations -o table`.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

// Not restricted to the Flex Consumption regions: Container Instances is offered in other regions than Flex.
@description('Region where container groups run by default (ACI_REGION). Empty: the app\'s region.')
param jobsLocation string = ''

@description('App resource group name. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Jobs resource group name. Empty: rg-<environmentName>-jobs.')
param jobsResourceGroupName string = ''

@description('Optional: object id of a user, group or service principal that may manage secrets in the Key Vault (Key Vault Secrets Officer). Empty: nobody.')
param vaultOperatorPrincipalId string = ''

@description('Type of vaultOperatorPrincipalId (azd: KEY_VAULT_OPERATOR_TYPE). It must match the object, or ARM refuses the assignment with UnmatchedPrincipalType.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOperatorPrincipalType string = 'User'

// The deploying principal's data access, as the azd quickstart templates grant it
// (Azure-Samples/functions-quickstart-typescript-azd, infra/main.bicep: `param principalId string =
// deployer().objectId`, and `allowUserIdentityPrincipal` in infra/app/rbac.bicep). Unlike the templates, the
// principal type is a parameter, because the GitHub workflow deploys as a service principal: azd fills
// AZURE_PRINCIPAL_ID and AZURE_PRINCIPAL_TYPE ('User' or 'ServicePrincipal') from its own login
// (Azure/azure-dev, cli/azd/pkg/infra/provisioning/current_principal_id_provider.go, bicep/bicep_provider.go).
@description('Give the deploying principal data access to what it deployed: Storage Blob Data Owner, Queue and Table Data Contributor on the host storage, Monitoring Metrics Publisher on Application Insights, Key Vault Secrets Officer on the vault (azd: GRANT_DEPLOYER_DATA_ACCESS).')
param grantDeployerDataAccess bool = true

@description('Object id of the deploying principal (azd: AZURE_PRINCIPAL_ID). Default: whoever runs the deployment.')
param deployerPrincipalId string = deployer().objectId

@description('Type of deployerPrincipalId (azd: AZURE_PRINCIPAL_TYPE): User for a person, ServicePrincipal for a CI identity.')
@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string = 'User'

@description('Always-ready instances for the Durable Functions scale group (0 = scale to zero when idle).')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int = 0

// Alerts (app/alerts.bicep). The rules are always deployed and show in the portal (Monitor > Alerts); the
// e-mail address only adds an action group that notifies it.
@maxLength(64)
@description('E-mail address that receives the alerts (azd: ALERT_EMAIL; at most 64 characters, the action group limit). Empty: no action group, and the alert rules fire in the portal only.')
param alertEmail string = ''

@minValue(10)
@maxValue(1440)
@description('Minutes after a scheduled slot was due before a job whose timer reported nothing is alerted as overdue (azd: ALERT_SLOT_GRACE_MINUTES).')
param missedSlotGraceMinutes int = 30

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var effectiveJobsLocation = empty(jobsLocation) ? location : jobsLocation
var appResourceGroupName = empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
var effectiveJobsResourceGroupName = empty(jobsResourceGroupName)
  ? '${abbrs.resourcesResourceGroups}${environmentName}-jobs'
  : jobsResourceGroupName

// Every name is computed here, before deployment, so modules can name resources and role assignments
// deterministically (and what-if can predict them).
var names = {
  identity: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
  storage: '${abbrs.storageStorageAccounts}${resourceToken}'
  deploymentContainer: 'app-package-${resourceToken}'
  logAnalytics: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: '${abbrs.insightsComponents}${resourceToken}'
  keyVault: '${abbrs.keyVaultVaults}${resourceToken}'
  plan: '${abbrs.webServerFarms}${resourceToken}'
  functionApp: '${abbrs.webSitesFunctions}api-${resourceToken}'
  // Where the app keeps run coordination, the run index and the log archive; the code fixes the name
  // (RUN_STATE_CONTAINER in src/runs/runStateContainer.ts).
  runStateContainer: 'aci-jobs-runs'
  // "ag-" is the Cloud Adoption Framework's abbreviation for an action group; it lists none for a log search
  // alert rule, so "alert-" is ours
  // (https://learn.microsoft.com/azure/cloud-adoption-framework/ready/azure-best-practices/resource-abbreviations).
  actionGroup: '${abbrs.insightsActionGroups}${resourceToken}'
  alertRules: {
    runFailed: '${abbrs.insightsScheduledQueryRules}run-failed-${resourceToken}'
    groupNotDeleted: '${abbrs.insightsScheduledQueryRules}group-not-deleted-${resourceToken}'
    slotSkipped: '${abbrs.insightsScheduledQueryRules}slot-skipped-${resourceToken}'
    slotOverdue: '${abbrs.insightsScheduledQueryRules}slot-overdue-${resourceToken}'
    notificationFailed: '${abbrs.insightsScheduledQueryRules}notification-failed-${resourceToken}'
  }
  // The custom role's definition name is a GUID derived from the jobs resource group id.
  jobsRoleDefinition: guid(
    subscriptionResourceId('Microsoft.Resources/resourceGroups', effectiveJobsResourceGroupName),
    'aci-jobs-container-group-runner'
  )
}

resource appResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: appResourceGroupName
  location: location
  tags: tags
}

// Not tagged azd-env-name: azd must find exactly one resource group for the environment (AZURE_RESOURCE_GROUP).
resource jobsResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: effectiveJobsResourceGroupName
  location: effectiveJobsLocation
  tags: {
    'aci-jobs-env': environmentName
    purpose: 'container groups created by ${names.functionApp}'
  }
}

module identity 'core/security/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: appResourceGroup
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: appResourceGroup
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
    runStateContainerName: names.runStateContainer
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: appResourceGroup
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: appResourceGroup
  params: {
    location: location
    tags: tags
    environmentName: environmentName
    applicationInsightsName: names.applicationInsights
    actionGroupName: names.actionGroup
    alertEmail: alertEmail
    ruleNames: names.alertRules
    missedSlotGraceMinutes: missedSlotGraceMinutes
  }
  dependsOn: [
    monitoring
  ]
}

module keyVault 'core/security/keyvault.bicep' = {
  name: 'keyvault'
  scope: appResourceGroup
  params: {
    name: names.keyVault
    location: location
    tags: tags
  }
}

module jobsRole 'app/jobs-role.bicep' = {
  // A subscription-level deployment: the suffix keeps environments in one subscription apart.
  name: 'jobs-role-${resourceToken}'
  params: {
    jobsResourceGroupName: jobsResourceGroup.name
    roleDefinitionName: names.jobsRoleDefinition
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: appResourceGroup
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityName: names.identity
    storageAccountName: names.storage
    deploymentContainerName: names.deploymentContainer
    applicationInsightsName: names.applicationInsights
    jobsResourceGroupName: jobsResourceGroup.name
    jobsLocation: jobsResourceGroup.location
    keyVaultUri: keyVault.outputs.uri
    durableAlwaysReadyInstances: durableAlwaysReadyInstances
  }
  dependsOn: [
    identity
    storage
    monitoring
  ]
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: appResourceGroup
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    applicationInsightsName: names.applicationInsights
    keyVaultName: names.keyVault
    jobsResourceGroupName: jobsResourceGroup.name
    jobsRoleDefinitionName: names.jobsRoleDefinition
    vaultOperatorPrincipalId: vaultOperatorPrincipalId
    vaultOperatorPrincipalType: vaultOperatorPrincipalType
    grantDeployerDataAccess: grantDeployerDataAccess
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
  dependsOn: [
    identity
    storage
    monitoring
    keyVault
    jobsRole
  ]
}

// Outputs azd stores in .azure/<env>/.env (and that `az deployment sub show` prints).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = appResourceGroup.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_URL string = api.outputs.uri
output ACI_RESOURCE_GROUP string = jobsResourceGroup.name
output ACI_REGION string = jobsResourceGroup.location
output ACI_ROLE_NAME string = jobsRole.outputs.roleName
output ACI_ROLE_DEFINITION_NAME string = names.jobsRoleDefinition
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
// For the azd postprovision hook (dev/infra/azd/wait-for-storage-access.sh), which waits until the new role
// assignments on the deployment package container take effect.
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_DEPLOYMENT_CONTAINER_NAME string = names.deploymentContainer
output AZURE_DEPLOYER_DATA_ACCESS bool = grantDeployerDataAccess && !empty(deployerPrincipalId)
