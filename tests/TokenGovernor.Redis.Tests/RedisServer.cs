using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TokenGovernor.Redis.Tests;

/// <summary>A real <c>redis-server</c> process on a free loopback port, which a test may stop and start again.</summary>
public sealed class RedisServer : IDisposable
{
    private Process? _process;

    private readonly string? _dataDir;

    private RedisServer(int port, string? dataDir)
    {
        Port = port;
        _dataDir = dataDir;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Gets the redis-server binary on PATH, or null.</summary>
    public static string? Binary { get; } = FindBinary();

    /// <summary>Starts a server; a persistent one writes every command to an append-only file (fsync always), so what it
    /// acknowledged survives a kill and restart, as a production Redis with AOF would.</summary>
    public static RedisServer Start(bool persistent = false)
    {
        var server = new RedisServer(FreePort(), persistent ? Directory.CreateTempSubdirectory("tg-redis-").FullName : null);
        server.Restart();
        return server;
    }

    /// <summary>Starts the server (again) on the same port, without persistence.</summary>
    public void Restart()
    {
        Stop();
        var binary = Binary ?? throw new InvalidOperationException("redis-server was not found on PATH; install it (apt-get install -y redis-server).");
        _process = Process.Start(new ProcessStartInfo(binary, _dataDir is null
            ? $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no"
            : $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly yes --appendfsync always --dir {_dataDir}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }

        throw new InvalidOperationException($"redis-server did not start listening on port {Port} within 10 s.");
    }

    /// <summary>Kills the server (as a crash would).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
