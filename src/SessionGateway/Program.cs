using SessionGateway.Hosting;

return await GatewayHost.RunAsync(args, Console.Error);
