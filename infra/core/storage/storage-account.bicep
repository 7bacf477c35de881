// Host storage account: Functions host state, timer-trigger schedule monitor, the Durable Functions task hub
// (queues, tables, blobs), the app's run state container, and the Flex Consumption deployment container.
// Shared-key access is disabled, so every caller (the app, the platform, people) must use Entra ID.

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
param name string

@description('Region of the account.')
param location string = resourceGroup().location

param tags object = {}

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob container where the app keeps run coordination blobs, the run index and the per-attempt log archive.')
param runStateContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    // The app creates this container when it is missing (createIfNotExists in src/runs/runStateContainer.ts);
    // declared here it exists from the deployment on, private like the other, before the first run writes to it.
    // Its blobs (slots/, jobs/, queue/, idempotency/, the run index under index/, and
    // logs/<run id>/attempt-<n>.log) are the app's; a redeployment leaves them alone.
    resource runStateContainer 'containers' = {
      name: runStateContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
