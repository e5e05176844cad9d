using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SessionGateway.Proxy;

/// <summary>Adds the gateway's own transforms to every route, whatever the route's configuration says.</summary>
internal sealed class GatewayTransformProvider(IdentityHeaderTransform identityHeaders) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.RequestTransforms.Add(identityHeaders);
}
