// One role assignment on the resource group this module is deployed to.
// ARM creates a role assignment scoped to a resource group only from a deployment at that resource group,
// so app/rbac.bicep (which declares every assignment) calls this module for the jobs resource group.

@description('Object id of the principal that receives the role.')
param principalId string

@description('A stable identifier of that principal known before deployment (for a managed identity: its resource id). Used only to name the assignment.')
param principalKey string

@description('Full resource id of the role definition.')
param roleDefinitionId string

@description('Type of the principal.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

@description('Why the principal holds this role (shown in the portal).')
param assignmentDescription string = ''

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  // Deterministic: the same scope, principal and role always give the same name, so redeployments are no-ops.
  name: guid(resourceGroup().id, principalKey, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: roleDefinitionId
    description: assignmentDescription
  }
}

output id string = assignment.id
