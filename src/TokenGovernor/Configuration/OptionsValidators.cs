using Microsoft.Extensions.Options;

namespace TokenGovernor;

[OptionsValidator]
internal sealed partial class CostMeteringOptionsValidator : IValidateOptions<CostMeteringOptions>;

[OptionsValidator]
internal sealed partial class TokenEstimatorOptionsValidator : IValidateOptions<TokenEstimatorOptions>;

[OptionsValidator]
internal sealed partial class TokenGovernorOptionsDataValidator : IValidateOptions<TokenGovernorOptions>;

[OptionsValidator]
internal sealed partial class BudgetLedgerOptionsValidator : IValidateOptions<BudgetLedgerOptions>;

[OptionsValidator]
internal sealed partial class BudgetOptionsValidator : IValidateOptions<BudgetOptions>;

[OptionsValidator]
internal sealed partial class VectorIndexOptionsValidator : IValidateOptions<VectorIndexOptions>;

[OptionsValidator]
internal sealed partial class ResponseCacheOptionsValidator : IValidateOptions<ResponseCacheOptions>;

[OptionsValidator]
internal sealed partial class LoopGuardOptionsValidator : IValidateOptions<LoopGuardOptions>;

[OptionsValidator]
internal sealed partial class TokenBudgetChatReducerOptionsValidator : IValidateOptions<TokenBudgetChatReducerOptions>;

[OptionsValidator]
internal sealed partial class OutputBudgetOptionsValidator : IValidateOptions<OutputBudgetOptions>;

[OptionsValidator]
internal sealed partial class RoutingOptionsValidator : IValidateOptions<RoutingOptions>;

[OptionsValidator]
internal sealed partial class SpendStoreSinkOptionsValidator : IValidateOptions<SpendStoreSinkOptions>;
