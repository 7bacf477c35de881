using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace AciJobs.LocalFunctionsHost;

public sealed record HttpRoute(string Template, IReadOnlyList<string> Methods);

/// <summary>
/// HTTP triggers routed as the Functions host routes them (WebJobsRouter, WebScriptHostHttpRoutesManager):
/// one legacy ASP.NET Core <see cref="Route"/> per function, "{routePrefix}/{route}" (host.json
/// extensions.http.routePrefix, "api" by default; the function's name when it has no route), inline
/// constraints, and the allowed methods as an httpMethod constraint. Routes are tried in the order of the
/// functions' names and the first match wins; no match, or a method no function of the route accepts,
/// answers 404 with no body (never 405). Function keys are accepted but not required, as under `func start`,
/// and a function that fails answers 500 with no body.
/// </summary>
public static class HttpRoutes
{
    public static IReadOnlyDictionary<string, HttpRoute> Map(WebApplication app, IReadOnlyList<WorkerFunction> functions, string routePrefix)
    {
        var routes = new Dictionary<string, HttpRoute>();
        var router = new RouteCollection();
        var resolver = app.Services.GetRequiredService<IInlineConstraintResolver>();
        foreach (var function in functions.Where(f => f.IsHttp).OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            var route = function.Trigger.Value<string>("route") is { Length: > 0 } given ? given : function.Name;
            var template = string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix}/{route}";
            var methods = (function.Trigger["methods"] as JArray)?.Select(m => m.Value<string>()!.ToUpperInvariant()).ToArray();
            routes[function.Name] = new HttpRoute(template, methods ?? ["(any)"]);
            var constraints = new RouteValueDictionary();
            if (methods is not null) constraints["httpMethod"] = new HttpMethodRouteConstraint(methods);
            router.Add(new Route(new FunctionTarget(function), function.Name, template, null, constraints, null, resolver));
        }
        // After the admin and webhook endpoints (matched by endpoint routing), as in the host, where the
        // functions' router comes last in the pipeline.
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is not null)
            {
                await next(context);
                return;
            }
            var routeContext = new RouteContext(context);
            routeContext.RouteData.Routers.Add(router);
            await router.RouteAsync(routeContext);
            if (routeContext.Handler is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            context.Features.Set<IRoutingFeature>(new RoutingFeature { RouteData = routeContext.RouteData });
            await routeContext.Handler(context);
        });
        return routes;
    }

    private sealed class FunctionTarget(WorkerFunction function) : IRouter
    {
        public VirtualPathData? GetVirtualPath(VirtualPathContext context) => null;

        public Task RouteAsync(RouteContext context)
        {
            var values = context.RouteData.Values.ToDictionary(v => v.Key, v => v.Value);
            context.Handler = http => InvokeAsync(http, function, values);
            return Task.CompletedTask;
        }
    }

    private static async Task InvokeAsync(HttpContext context, WorkerFunction function, IReadOnlyDictionary<string, object?> routeValues)
    {
        var invocation = new HttpInvocation(await ToRpcHttpAsync(context, routeValues));
        var jobHost = context.RequestServices.GetRequiredService<IJobHost>();
        try
        {
            await jobHost.CallAsync(function.Name, new Dictionary<string, object?> { [function.TriggerName] = invocation }, context.RequestAborted);
        }
        catch (Exception error) when (!context.RequestAborted.IsCancellationRequested)
        {
            Console.Error.WriteLine($"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}] Executed 'Functions.{function.Name}' (Failed): {FirstLine(error.GetBaseException().Message)}");
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        await WriteResponseAsync(context, invocation.Response);
    }

    private static string FirstLine(string message)
    {
        var exception = message.IndexOf("\nException: ", StringComparison.Ordinal);
        var text = exception >= 0 ? message[(exception + "\nException: ".Length)..] : message;
        return text.Split('\n')[0];
    }

    /// <summary>
    /// The request as RpcHttp for the Node worker's capabilities (GrpcMessageConversionExtensions.ToRpcHttp):
    /// lower-cased header names, repeated values comma-joined, nullable maps, route values that are not
    /// null, and the body as bytes, sent only when the request has a Content-Length above 0.
    /// </summary>
    private static async Task<JObject> ToRpcHttpAsync(HttpContext context, IReadOnlyDictionary<string, object?> routeValues)
    {
        var request = context.Request;
        static JObject Nullable(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            var map = new JObject();
            foreach (var (name, value) in pairs) map[name] = new JObject { ["value"] = value };
            return map;
        }
        JObject? body = null;
        if (request.ContentLength > 0)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            body = new JObject { ["bytes"] = Convert.ToBase64String(buffer.ToArray()) };
        }
        return new JObject
        {
            ["method"] = request.Method,
            ["url"] = $"{request.Scheme}://{request.Host}{request.Path}{request.QueryString}",
            ["nullableHeaders"] = Nullable(request.Headers.Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value.ToString()))),
            ["nullableQuery"] = Nullable(request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString()))),
            ["nullableParams"] = Nullable(routeValues.Where(v => v.Value is not null).Select(v => KeyValuePair.Create(v.Key, v.Value!.ToString()!))),
            ["body"] = body,
        };
    }

    private static async Task WriteResponseAsync(HttpContext context, JObject? http)
    {
        if (http is null)
        {
            // A handler that returns nothing: the host answers 200 with no body.
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        context.Response.StatusCode = int.TryParse(http.Value<string>("statusCode"), out var status) ? status : StatusCodes.Status200OK;
        foreach (var header in (http["headers"] as JObject)?.Properties() ?? [])
        {
            context.Response.Headers[header.Name] = header.Value.ToString();
        }
        if (http["body"] is JObject body)
        {
            byte[] bytes = body["bytes"] is JToken b ? Convert.FromBase64String(b.Value<string>()!)
                : body["string"] is JToken s ? System.Text.Encoding.UTF8.GetBytes(s.Value<string>()!)
                : body["json"] is JToken j ? System.Text.Encoding.UTF8.GetBytes(j.Value<string>()!)
                : [];
            if (bytes.Length > 0) await context.Response.Body.WriteAsync(bytes);
        }
    }
}

/// <summary>
/// The host's admin API, as far as local development uses it: host status, and running a non-HTTP
/// function now (POST /admin/functions/{name}, which is how a timer function is fired by hand).
/// </summary>
public static class AdminApi
{
    public static void Map(WebApplication app, IReadOnlyList<WorkerFunction> functions)
    {
        app.MapGet("/admin/host/status", () => Results.Json(new { state = "Running", processUptime = Environment.TickCount64 }));
        app.MapPost("/admin/functions/{name}", async (string name, HttpContext context) =>
        {
            var function = functions.FirstOrDefault(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (function is null || function.IsHttp) return Results.NotFound();
            var jobHost = context.RequestServices.GetRequiredService<IJobHost>();
            // As the real admin endpoint does, the call is queued and the answer is 202 at once.
            _ = Task.Run(async () =>
            {
                try
                {
                    await jobHost.CallAsync(function.Name, new Dictionary<string, object?> { [function.TriggerName] = null });
                }
                catch (Exception error)
                {
                    Console.Error.WriteLine($"[{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}] Executed 'Functions.{function.Name}' (Failed): {error.GetBaseException().Message}");
                }
            });
            return Results.Accepted();
        });
    }
}
