#!/usr/bin/env bash
# Packs TokenGovernor, TokenGovernor.Redis and the tokengov tool, installs them from a local feed into a fresh console
# project and a tool folder, pastes the README's quick start into Program.cs (with a stand-in provider) and runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.9.0-verify.$(date +%s)"

dotnet pack "$root/TokenGovernor.sln" -c Release -o "$work/feed" -p:VersionSuffix="${version#0.9.0-}" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
for id in TokenGovernor TokenGovernor.Redis TokenGovernor.Cli; do
  test -f "$work/feed/$id.$version.nupkg" || { echo "missing package $id.$version.nupkg"; ls "$work/feed"; exit 1; }
done
# The library package carries its XML docs, README and licence. The listing is read whole first: piping it into
# `grep -q` under pipefail fails at random, because grep exits at the first match and unzip dies of SIGPIPE (141).
listing=$(unzip -l "$work/feed/TokenGovernor.$version.nupkg")
grep -q 'lib/net10.0/TokenGovernor.xml' <<<"$listing" || { echo "TokenGovernor package has no XML docs"; echo "$listing"; exit 1; }
grep -q 'README.md' <<<"$listing" || { echo "TokenGovernor package has no README"; echo "$listing"; exit 1; }

mkdir -p "$work/app"
cd "$work/app"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > app.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="TokenGovernor" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.14" />
  </ItemGroup>
</Project>
XML
# The README's quick start, verbatim, then a stand-in provider.
awk '/^## Quick start/{f=1; next} f && /^```csharp/{c=1; next} c && /^```/{exit} c{print}' "$root/README.md" > Program.cs
cat >> Program.cs <<'CS'

static IChatClient CreateProvider() => new StandInProvider();

sealed class StandInProvider : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Your order ships tomorrow."))
        {
            ModelId = options?.ModelId ?? "gpt-4o",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 42, OutputTokenCount = 7, TotalTokenCount = 49 },
        });

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
CS
output=$(dotnet run 2>&1) || { echo "$output"; exit 1; }
echo "$output"
grep -q 'in / 7 out = \$' <<<"$output" || { echo "quick start did not print a governed call"; exit 1; }

# The tool installs and runs.
dotnet tool install TokenGovernor.Cli --version "$version" --tool-path "$work/tools" --add-source "$work/feed" >/dev/null
"$work/tools/tokengov" cost --model gpt-4o --input 1000 --output 200 --json
echo "package verification passed ($version)"
