// The Function App on the Flex Consumption plan (Linux, Node.js 22) and its app settings.
//
// The settings below are the complete list. Everything the code reads is listed in SETTINGS in src/config.ts;
// test/infra/template.test.ts compares that list with the compiled template. The rest is read by the Functions
// host, the Durable extension, Application Insights or @azure/identity. No setting holds a key or a secret:
// storage and telemetry use the managed identity, and AzureWebJobsStorage (a connection string) is never set.
// Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION; the runtime is set in
// functionAppConfig.runtime instead.

@description('Function App name (globally unique; it is also the host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Region of the plan and the app.')
param location string = resourceGroup().location

param tags object = {}

@description('Service name that azd deploys to this app (azure.yaml services.<name>).')
param serviceName string = 'api'

@description('Name of the user-assigned identity the app runs as (in this resource group).')
param identityName string

@description('Host storage account name (in this resource group).')
param storageAccountName string

@description('Blob container in the host storage account that holds the deployment package.')
param deploymentContainerName string

@description('Application Insights component name (in this resource group).')
param applicationInsightsName string

@description('Resource group in which container groups are created (ACI_RESOURCE_GROUP).')
param jobsResourceGroupName string

@description('Region for jobs whose definition names none (ACI_REGION).')
param jobsLocation string

@description('URI of the app\'s Key Vault (KEY_VAULT_URI), where job definitions\' Key Vault references point.')
param keyVaultUri string

@description('Instance memory of the Flex Consumption plan, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper limit of instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for the "durable" scale group. 0 scales to zero when idle (cheapest); Microsoft recommends 1 for faster Durable Functions reactions, at a fixed monthly cost.')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int = 0

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var storageSuffix = environment().suffixes.storage
var identityClientId = identity.properties.clientId

var appSettings = {
  // Functions host and Durable Functions (Azure Storage provider): identity-based connection to the host
  // storage account. Blob, queue and table endpoints are all needed by the task hub.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: 'https://${storage.name}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storage.name}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storage.name}.table.${storageSuffix}'

  // Application Insights. The connection string holds the instrumentation key, an identifier and not a
  // credential: local authentication is disabled on the component, so ingestion needs the Entra token below.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

  // @azure/identity: DefaultAzureCredential uses this user-assigned identity, and only managed identity.
  AZURE_CLIENT_ID: identityClientId
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'

  // The app's own settings (src/config.ts SETTINGS).
  AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
  ACI_RESOURCE_GROUP: jobsResourceGroupName
  ACI_REGION: jobsLocation
  // Resource Manager of the cloud this is deployed to (https://management.azure.com/ in public Azure), so
  // sovereign clouds work unchanged. ACI_ARM_AUDIENCE is left unset: the code derives it from this endpoint.
  ACI_ARM_ENDPOINT: environment().resourceManager
  // The vault the app reads job secrets from, with its identity (Key Vault Secrets User, rbac.bicep).
  // A URI, not a secret: values never leave the vault except into the container group request.
  KEY_VAULT_URI: keyVaultUri
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: durableAlwaysReadyInstances > 0
          ? [
              {
                name: 'durable'
                instanceCount: durableAlwaysReadyInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = app.name
output uri string = 'https://${app.properties.defaultHostName}'
