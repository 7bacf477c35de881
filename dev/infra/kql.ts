/**
 * @module
 * Checks KQL without Azure: the alert rules' queries (infra/app/alerts/*.kql) and the queries in docs/deploy.md.
 * It uses the Kusto language service, Microsoft's Kusto.Language compiled to JavaScript (npm package
 * `@kusto/language-service-next`, MIT; the Monaco Kusto editor, @kusto/monaco-kusto, is built on it), which
 * parses a query and binds it to a schema, so it reports what Azure would refuse when the rule is created:
 * syntax errors, a keyword used as a name, unknown columns or functions, wrong argument counts. It also says
 * which columns the query returns, with their types, so a rule's dimensions can be checked against them.
 *
 * The package is a pinned devDependency (its bridged constructors, $ctor7 below, are generated names that may
 * move between versions), so `npm ci` brings it and the lock file fixes it.
 *
 * Usage (from a test): `const kql = loadKqlChecker({ customEvents: APP_INSIGHTS_TABLES.customEvents })`,
 * then `kql.check(query)`.
 */
import { createRequire } from "node:module";

const KQL_PACKAGE = "@kusto/language-service-next";

/**
 * Tables an Application Insights component answers in its Logs, as `(column:type, ...)`. The columns are those
 * of the classic schema as Learn lists them for customEvents ("Migrate to workspace-based Application Insights
 * resources", table AppEvents: https://learn.microsoft.com/azure/azure-monitor/app/convert-classic-resource#appevents),
 * and the workspace's AppEvents names for the same columns (the `az monitor log-analytics query` examples).
 */
export const APP_INSIGHTS_TABLES = {
  customEvents:
    "(timestamp:datetime, name:string, itemType:string, customDimensions:dynamic, customMeasurements:dynamic, " +
    "operation_Name:string, operation_Id:string, operation_ParentId:string, operation_SyntheticSource:string, " +
    "session_Id:string, user_Id:string, user_AuthenticatedId:string, user_AccountId:string, application_Version:string, " +
    "client_Type:string, client_Model:string, client_OS:string, client_IP:string, client_City:string, " +
    "client_StateOrProvince:string, client_CountryOrRegion:string, client_Browser:string, cloud_RoleName:string, " +
    "cloud_RoleInstance:string, appId:string, appName:string, iKey:string, sdkVersion:string, itemId:string, itemCount:int)",
  AppEvents:
    "(TimeGenerated:datetime, Name:string, Type:string, Properties:dynamic, Measurements:dynamic, OperationName:string, " +
    "OperationId:string, ParentId:string, SyntheticSource:string, SessionId:string, UserId:string, " +
    "UserAuthenticatedId:string, UserAccountId:string, AppVersion:string, ClientType:string, ClientModel:string, " +
    "ClientOS:string, ClientIP:string, ClientCity:string, ClientStateOrProvince:string, ClientCountryOrRegion:string, " +
    "ClientBrowser:string, AppRoleName:string, AppRoleInstance:string, ResourceGUID:string, IKey:string, " +
    "SDKVersion:string, ItemCount:int, _ResourceId:string)",
} as const;

export interface KqlDiagnostic {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  /** Offset in the query text. */
  readonly start: number;
}

export interface KqlColumn {
  readonly name: string;
  /** Kusto's type name: string, long, datetime, dynamic, ... */
  readonly type: string;
}

export interface KqlResult {
  /** Errors and warnings; an empty list means Kusto.Language found nothing wrong. */
  readonly diagnostics: KqlDiagnostic[];
  /** The columns of the query's result, or [] when it does not return a table. */
  readonly columns: KqlColumn[];
}

export interface KqlChecker {
  check(query: string): KqlResult;
}

/** The few members of the bridged .NET objects this module touches. */
interface NetList<T> {
  readonly Count: number;
  getItem(index: number): T;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): {
      GetDiagnostics(): NetList<{ Severity: string; Code: string; Message: string; Start: number }>;
      ResultType: { Columns?: NetList<{ Name: string; Type: { Name: string } }> } | null;
    };
  };
}

/**
 * A checker whose queries may read the given tables (name -> `(column:type, ...)`), or why there is none.
 * The package defines its classes as globals (Bridge.NET output), so it is loaded once per process.
 */
export function loadKqlChecker(tables: Record<string, string>): KqlChecker {
  const load = createRequire(__filename);
  load(`${KQL_PACKAGE}/bridge.min.js`);
  load(`${KQL_PACKAGE}/Kusto.Language.Bridge.min.js`);
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const symbols = Object.entries(tables).map(([name, schema]) => new kusto.Symbols.TableSymbol.$ctor7(name, schema, null));
  const globals = kusto.GlobalState.Default.WithDatabase(new kusto.Symbols.DatabaseSymbol.ctor("appInsights", symbols));
  return {
    check(query: string): KqlResult {
      const code = kusto.KustoCode.ParseAndAnalyze(query, globals);
      const found = code.GetDiagnostics();
      const diagnostics: KqlDiagnostic[] = [];
      for (let i = 0; i < found.Count; i++) {
        const d = found.getItem(i);
        diagnostics.push({ severity: String(d.Severity), code: d.Code, message: d.Message, start: d.Start });
      }
      const result = code.ResultType?.Columns;
      const columns: KqlColumn[] = [];
      for (let i = 0; result && i < result.Count; i++) {
        const column = result.getItem(i);
        columns.push({ name: column.Name, type: column.Type.Name });
      }
      return { diagnostics, columns };
    },
  };
}
