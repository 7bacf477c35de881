// Custom role for the app on the jobs resource group: exactly what the activities do with container groups.
//
// Why not the built-in "Azure Container Instances Contributor Role" (5d977122-f97e-4b4d-a52f-6b43003ddb4d)?
// It grants Microsoft.ContainerInstance/containerGroups/* (plus generic reads), which includes
// containers/exec/action (a shell inside any running job), containers/attach/action, start/stop/restart and
// diagnostic-settings writes. The app needs none of those, so a custom role with only these actions is used:
//
//   containerGroups/read                 GET a group (state + instance view) and list the groups in the RG
//   containerGroups/write                PUT: create (or idempotently re-create) a group
//   containerGroups/delete               DELETE a group after its logs are collected
//   containerGroups/containers/logs/read GET .../containers/{name}/logs
//
// Nothing else, not even to follow a long-running operation: the app never polls one. ACI answers a create
// with an Azure-AsyncOperation URL at SUBSCRIPTION scope (.../providers/Microsoft.ContainerInstance/locations/
// {region}/operations/{id}), which a role assignable only on this resource group cannot cover; the app stops
// after the PUT and reads the group itself (src/aci/client.ts). The emulator enforces exactly these actions
// wherever the app runs on it (dev/aci-emulator/roleAssignment.ts), so every test proves each call allowed.
//
// Not included: Microsoft.ManagedIdentity/userAssignedIdentities/assign/action (a job that gives its group a
// user-assigned identity, e.g. to pull from ACR) and Microsoft.Network/virtualNetworks/subnets/join/action (a
// job in a VNet). Both belong on the identity or subnet a job names, which this template does not know;
// docs/deploy.md says how to grant them.
targetScope = 'subscription'

@description('Name of the jobs resource group; the role is assignable only there.')
param jobsResourceGroupName string

@description('Name (a GUID) of the role definition; main.bicep derives it from the jobs resource group id.')
param roleDefinitionName string

var jobsResourceGroupId = subscriptionResourceId('Microsoft.Resources/resourceGroups', jobsResourceGroupName)

@description('Actions of the role. Every entry must stay under Microsoft.ContainerInstance/containerGroups/ (test/infra checks it).')
var actions = [
  'Microsoft.ContainerInstance/containerGroups/read'
  'Microsoft.ContainerInstance/containerGroups/write'
  'Microsoft.ContainerInstance/containerGroups/delete'
  'Microsoft.ContainerInstance/containerGroups/containers/logs/read'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  // Deterministic per jobs resource group, so redeployments update the same definition.
  name: roleDefinitionName
  properties: {
    // Role names are unique per tenant: include the subscription and resource group.
    roleName: 'aci-jobs container group runner (${jobsResourceGroupName}, ${subscription().subscriptionId})'
    description: 'Create, read, read logs of and delete container groups in the aci-jobs jobs resource group. Nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      jobsResourceGroupId
    ]
  }
}

output roleDefinitionId string = role.id
output roleName string = role.properties.roleName
