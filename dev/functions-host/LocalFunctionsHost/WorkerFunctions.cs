using System.Reflection;
using System.Reflection.Emit;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.DurableTask;
using Newtonsoft.Json.Linq;

namespace AciJobs.LocalFunctionsHost;

/// <summary>One function the worker registered (RpcFunctionMetadata: name and bindings).</summary>
public sealed record WorkerFunction(string Name, string TriggerType, string TriggerName, JObject Trigger, IReadOnlyList<KeyValuePair<string, JObject>> Inputs, JObject Bindings)
{
    public static WorkerFunction From(JObject metadata)
    {
        var name = metadata.Value<string>("name")!;
        var bindings = (JObject)metadata["bindings"]!;
        var trigger = bindings.Properties().FirstOrDefault(p => ((JObject)p.Value).Value<string>("type")!.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"Function {name} has no trigger binding.");
        var inputs = bindings.Properties()
            .Where(p => p != trigger && ((JObject)p.Value).Value<string>("direction") == "in")
            .Select(p => KeyValuePair.Create(p.Name, (JObject)p.Value))
            .ToList();
        return new WorkerFunction(name, ((JObject)trigger.Value).Value<string>("type")!, trigger.Name, (JObject)trigger.Value, inputs, bindings);
    }

    public bool IsDurable => TriggerType is "orchestrationTrigger" or "activityTrigger" or "entityTrigger";

    public bool IsHttp => TriggerType.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Emits one WebJobs function method per worker function, as the script host's FunctionGenerator does:
/// the trigger and input bindings become binding attributes on typed parameters (all strings, as
/// IJobHostMetadataProvider.GetDefaultType types them for out-of-process workers), and the body hands the
/// bound values to <see cref="FunctionDispatcher"/>, which sends them to the worker.
/// </summary>
public static class FunctionEmitter
{
    public static Type Emit(IReadOnlyList<WorkerFunction> functions)
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("AciJobs.WorkerFunctions"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("AciJobs.WorkerFunctions");
        // Host.Functions.<name>, as the script host names its generated functions (the timer monitor keys on it).
        var type = module.DefineType("Host.Functions", TypeAttributes.Public | TypeAttributes.Class | TypeAttributes.Sealed | TypeAttributes.Abstract);
        var invoke = typeof(FunctionDispatcher).GetMethod(nameof(FunctionDispatcher.InvokeAsync))!;

        for (var index = 0; index < functions.Count; index++)
        {
            var function = functions[index];
            var parameters = new List<(Type Type, string Name, CustomAttributeBuilder? Attribute)> { TriggerParameter(function) };
            foreach (var (name, binding) in function.Inputs)
            {
                parameters.Add(InputParameter(function, name, binding));
            }
            var method = type.DefineMethod(
                function.Name,
                MethodAttributes.Public | MethodAttributes.Static,
                // Only the Durable triggers take a return value; the SDK refuses one elsewhere.
                function.IsDurable ? typeof(Task<object?>) : typeof(Task),
                parameters.Select(p => p.Type).ToArray());
            method.SetCustomAttribute(new CustomAttributeBuilder(typeof(FunctionNameAttribute).GetConstructor([typeof(string)])!, [function.Name]));
            if (function.IsHttp)
            {
                // HTTP requests reach functions through JobHost.CallAsync, as the script host's HTTP middleware does.
                method.SetCustomAttribute(new CustomAttributeBuilder(typeof(NoAutomaticTriggerAttribute).GetConstructor(Type.EmptyTypes)!, []));
            }
            for (var i = 0; i < parameters.Count; i++)
            {
                var parameter = method.DefineParameter(i + 1, ParameterAttributes.None, parameters[i].Name);
                if (parameters[i].Attribute is { } attribute) parameter.SetCustomAttribute(attribute);
            }
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldc_I4, index);
            il.Emit(OpCodes.Ldc_I4, parameters.Count);
            il.Emit(OpCodes.Newarr, typeof(object));
            for (var i = 0; i < parameters.Count; i++)
            {
                il.Emit(OpCodes.Dup);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldarg, i);
                il.Emit(OpCodes.Stelem_Ref);
            }
            il.Emit(OpCodes.Call, invoke);
            il.Emit(OpCodes.Ret);
        }
        return type.CreateType();
    }

    private static (Type, string, CustomAttributeBuilder?) TriggerParameter(WorkerFunction function)
    {
        var binding = function.Trigger;
        switch (function.TriggerType.ToLowerInvariant())
        {
            case "orchestrationtrigger":
                return (typeof(string), function.TriggerName, Attribute<OrchestrationTriggerAttribute>(
                    (nameof(OrchestrationTriggerAttribute.Orchestration), binding.Value<string>("orchestration") ?? function.Name)));
            case "activitytrigger":
                return (typeof(string), function.TriggerName, Attribute<ActivityTriggerAttribute>(
                    (nameof(ActivityTriggerAttribute.Activity), binding.Value<string>("activity") ?? function.Name)));
            case "timertrigger":
                return (typeof(TimerInfo), function.TriggerName, new CustomAttributeBuilder(
                    typeof(TimerTriggerAttribute).GetConstructor([typeof(string)])!,
                    [binding.Value<string>("schedule") ?? throw new InvalidOperationException($"Timer function {function.Name} has no schedule.")],
                    [typeof(TimerTriggerAttribute).GetProperty(nameof(TimerTriggerAttribute.RunOnStartup))!, typeof(TimerTriggerAttribute).GetProperty(nameof(TimerTriggerAttribute.UseMonitor))!],
                    [binding.Value<bool?>("runOnStartup") ?? false, binding.Value<bool?>("useMonitor") ?? true]));
            case "httptrigger":
                return (typeof(HttpInvocation), function.TriggerName, null);
            default:
                throw new NotSupportedException($"Function {function.Name}: trigger type {function.TriggerType} is not supported by the local host.");
        }
    }

    private static (Type, string, CustomAttributeBuilder?) InputParameter(WorkerFunction function, string name, JObject binding)
    {
        var type = binding.Value<string>("type") ?? "";
        if (!type.Equals("durableClient", StringComparison.OrdinalIgnoreCase) && !type.Equals("orchestrationClient", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"Function {function.Name}: input binding type {type} is not supported by the local host.");
        }
        var taskHub = binding.Value<string>("taskHub");
        return (typeof(string), name, taskHub is null
            ? Attribute<DurableClientAttribute>()
            : Attribute<DurableClientAttribute>((nameof(DurableClientAttribute.TaskHub), taskHub)));
    }

    private static CustomAttributeBuilder Attribute<T>(params (string Property, object Value)[] properties) where T : Attribute =>
        new(typeof(T).GetConstructor(Type.EmptyTypes)!, [],
            properties.Select(p => typeof(T).GetProperty(p.Property)!).ToArray(),
            properties.Select(p => p.Value).ToArray());
}

/// <summary>Makes the WebJobs SDK index exactly the emitted functions.</summary>
public sealed class EmittedTypeLocator(Type type) : ITypeLocator
{
    public IReadOnlyList<Type> GetTypes() => [type];
}
