// The app's user-assigned managed identity. Every role it holds is granted in app/rbac.bicep.

@description('Identity name.')
param name string

@description('Region of the identity.')
param location string = resourceGroup().location

param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
