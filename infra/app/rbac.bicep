// Every role assignment of the deployment, in one place. Each is scoped to the resource it grants and named
// guid(scope id, principal, role definition id), where the principal is the identity's resource id (or the
// operator's or deployer's object id), all known before deployment, so a redeployment never creates duplicates.
//
// The app's user-assigned identity gets:
//   on the host storage account  Storage Blob Data Owner        host + Durable blobs/leases, the container
//                                                                aci-jobs-runs (run coordination, run index,
//                                                                per-attempt log archive; declared in
//                                                                core/storage/storage-account.bicep, created by
//                                                                the app if missing), Flex deployment package
//                                                                container
//                                Storage Queue Data Contributor  Durable control/work-item queues
//                                Storage Table Data Contributor  Durable history and instance tables
//   on Application Insights      Monitoring Metrics Publisher    Entra-authenticated telemetry (local auth is off)
//   on the app's Key Vault       Key Vault Secrets User          read the secrets job definitions reference
//                                                                (registry passwords, secure environment values,
//                                                                storage and workspace keys); read only
//   on the jobs resource group   the custom role from jobs-role.bicep (container groups only)
// Optionally a person, group or service principal (never the app) gets Key Vault Secrets Officer on the vault
// to store those secrets (vaultOperatorPrincipalId, of type vaultOperatorPrincipalType).
//
// Unless grantDeployerDataAccess is false, the principal that deploys (a person with azd up, or the GitHub
// workflow's service principal) gets data access to what it just deployed, as the azd quickstart templates
// give it (Azure-Samples/functions-quickstart-typescript-azd, infra/app/rbac.bicep, the `_User` assignments
// behind allowUserIdentityPrincipal):
//   on the host storage account  Storage Blob Data Owner, Storage Queue Data Contributor,
//                                Storage Table Data Contributor   read run logs and the task hub; lets the
//                                                                 postprovision hook see when roles on the
//                                                                 deployment container have taken effect
//   on Application Insights      Monitoring Metrics Publisher     as the templates do
//   on the app's Key Vault       Key Vault Secrets Officer        store the secrets jobs reference (skipped
//                                                                 when the deployer is also the vault operator,
//                                                                 which already holds that role)
// The deployer already holds Owner (or User Access Administrator) on the subscription, so these roles give it
// nothing it could not grant itself; they save the manual grants.

@description('Name of the app\'s user-assigned identity (in this resource group).')
param identityName string

@description('Host storage account name (in this resource group).')
param storageAccountName string

@description('Application Insights component name (in this resource group).')
param applicationInsightsName string

@description('Key Vault name (in this resource group).')
param keyVaultName string

@description('Jobs resource group name (where container groups are created).')
param jobsResourceGroupName string

@description('Name (a GUID) of the custom container-group role definition created by jobs-role.bicep.')
param jobsRoleDefinitionName string

@description('Optional: object id of a user, group or service principal that may manage secrets in the vault. Empty: nobody is granted.')
param vaultOperatorPrincipalId string = ''

@description('Type of vaultOperatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOperatorPrincipalType string = 'User'

@description('Grant the deploying principal data access (see the header). False: no deployer assignment is made.')
param grantDeployerDataAccess bool = true

@description('Object id of the deploying principal. Empty: no deployer assignment is made.')
param deployerPrincipalId string = ''

@description('Type of deployerPrincipalId.')
@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string = 'User'

// Built-in role definition ids (identical in every Azure cloud), as listed in "Azure built-in roles"
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles); the storage and monitoring ids
// are the ones Azure-Samples/functions-quickstart-typescript-azd uses in infra/app/rbac.bicep.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

var storageRoles = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
]

resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, identity.id, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId))
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      description: 'aci-jobs app: host storage and Durable Functions task hub'
    }
  }
]

resource appMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(
    applicationInsights.id,
    identity.id,
    subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  )
  scope: applicationInsights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    description: 'aci-jobs app: send telemetry with Entra ID'
  }
}

// Read-only access to secret values (Microsoft.KeyVault/vaults/secrets/getSecret/action and readMetadata),
// scoped to the app's own vault: the create activity resolves job definitions' Key Vault references.
resource appVaultSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser))
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    description: 'aci-jobs app: read the secrets job definitions reference'
  }
}

// The jobs resource group is another scope, so this assignment is deployed from that resource group.
module appJobs '../core/security/resource-group-role-assignment.bicep' = {
  name: 'rbac-jobs-container-groups'
  scope: resourceGroup(jobsResourceGroupName)
  params: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    principalKey: identity.id
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', jobsRoleDefinitionName)
    assignmentDescription: 'aci-jobs app: create, read, read logs of and delete container groups'
  }
}

resource vaultOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vaultOperatorPrincipalId)) {
  name: guid(
    vault.id,
    vaultOperatorPrincipalId,
    subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  )
  scope: vault
  properties: {
    principalId: vaultOperatorPrincipalId
    principalType: vaultOperatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    description: 'aci-jobs operator: store registry passwords and secure job values'
  }
}

var deployerGranted = grantDeployerDataAccess && !empty(deployerPrincipalId)

resource deployerStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: if (deployerGranted) {
    name: guid(storage.id, deployerPrincipalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId))
    scope: storage
    properties: {
      principalId: deployerPrincipalId
      principalType: deployerPrincipalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      description: 'aci-jobs deployer: read run logs and the task hub'
    }
  }
]

resource deployerMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployerGranted) {
  name: guid(
    applicationInsights.id,
    deployerPrincipalId,
    subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  )
  scope: applicationInsights
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    description: 'aci-jobs deployer: send telemetry with Entra ID'
  }
}

// Named like vaultOperator above: when the deployer is also the vault operator, that assignment already exists
// (one resource declared twice would make the deployment invalid), so this one is skipped.
resource deployerVaultSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (deployerGranted && toLower(deployerPrincipalId) != toLower(vaultOperatorPrincipalId)) {
  name: guid(
    vault.id,
    deployerPrincipalId,
    subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  )
  scope: vault
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    description: 'aci-jobs deployer: store registry passwords and secure job values'
  }
}
