using Microsoft.Extensions.Options;

namespace TokenGovernor;

[OptionsValidator]
internal sealed partial class LearnedRouterTrainingOptionsValidator : IValidateOptions<LearnedRouterTrainingOptions>;
