// Key Vault in RBAC mode (no access policies). Registry passwords and secure environment values for jobs
// will be stored here. Nothing reads it yet: the app identity gets "Key Vault Secrets User" on this vault
// only when the code starts resolving secrets (see docs/deploy.md, "Permission model").

@description('Vault name (3-24 characters, globally unique).')
param name string

@description('Region of the vault.')
param location string = resourceGroup().location

param tags object = {}

@description('Days a deleted vault or secret is kept recoverable (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
