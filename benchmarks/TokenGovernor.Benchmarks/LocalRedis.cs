using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace TokenGovernor.Benchmarks;

/// <summary>The Redis the Redis benchmarks use: TOKENGOVERNOR_REDIS (host:port) or a redis-server started on a free loopback port.</summary>
internal sealed class LocalRedis : IDisposable
{
    private readonly Process? _process;

    private LocalRedis(string endpoint, Process? process)
    {
        Endpoint = endpoint;
        _process = process;
        Connection = ConnectionMultiplexer.Connect(endpoint + ",allowAdmin=true");
    }

    public string Endpoint { get; }

    public ConnectionMultiplexer Connection { get; }

    public static LocalRedis Start()
    {
        if (Environment.GetEnvironmentVariable("TOKENGOVERNOR_REDIS") is { Length: > 0 } endpoint)
        {
            return new LocalRedis(endpoint, null);
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var process = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server could not be started; install it (apt-get install -y redis-server) or set TOKENGOVERNOR_REDIS.");
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException)
            {
                Thread.Sleep(25);
            }
        }

        return new LocalRedis($"127.0.0.1:{port}", process);
    }

    /// <summary>Calls of EVAL and EVALSHA the server has executed (from INFO commandstats).</summary>
    public long ScriptCalls()
    {
        var server = Connection.GetServer(Connection.GetEndPoints()[0]);
        long total = 0;
        foreach (var group in server.Info("commandstats"))
        {
            foreach (var pair in group)
            {
                if (pair.Key is "cmdstat_eval" or "cmdstat_evalsha")
                {
                    var calls = pair.Value.Split(',')[0].Split('=')[1];
                    total += long.Parse(calls, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return total;
    }

    public void Dispose()
    {
        Connection.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
    }
}
