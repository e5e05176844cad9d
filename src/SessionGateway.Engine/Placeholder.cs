namespace SessionGateway; internal static class Placeholder { }
