using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host.Config;
using Microsoft.Extensions.DependencyInjection;

namespace AciJobs.LocalFunctionsHost;

/// <summary>
/// The Functions host's webhook URLs for extensions: {host}/runtime/webhooks/{extension}. The Durable
/// extension builds its management URLs (statusQueryGetUri, the client binding's base URLs) from this.
/// </summary>
public sealed class LocalWebHookProvider(int port) : IWebHookProvider
{
    public Uri GetUrl(IExtensionConfigProvider extension) => new($"http://127.0.0.1:{port}/runtime/webhooks/durabletask");
}

/// <summary>
/// Routes /runtime/webhooks/durabletask/... to the extension's own HTTP API handler, as the Functions host
/// does for extensions that accept webhooks (IAsyncConverter&lt;HttpRequestMessage, HttpResponseMessage&gt;).
/// </summary>
public static class DurableWebhooks
{
    public static void Map(WebApplication app)
    {
        app.Map("/runtime/webhooks/durabletask/{**rest}", async context =>
        {
            var converter = context.RequestServices.GetServices<IExtensionConfigProvider>()
                .OfType<IAsyncConverter<HttpRequestMessage, HttpResponseMessage>>()
                .First();
            var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}{context.Request.QueryString}");
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                request.Content = new ByteArrayContent(body.ToArray());
                if (context.Request.ContentType is string type) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            }
            var response = await converter.ConvertAsync(request, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers) context.Response.Headers[name] = values.ToArray();
            if (response.Content is not null)
            {
                foreach (var (name, values) in response.Content.Headers) context.Response.Headers[name] = values.ToArray();
                context.Response.Headers.Remove("Transfer-Encoding");
                await response.Content.CopyToAsync(context.Response.Body);
            }
        });
    }
}
