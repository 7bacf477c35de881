// Key Vault in RBAC mode (no access policies). The secrets job definitions reference live here (registry
// passwords, secure environment values, Azure Files and Log Analytics keys); the app's identity reads them
// with "Key Vault Secrets User" (app/rbac.bicep) and finds the vault through KEY_VAULT_URI (app/api.bicep).

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
