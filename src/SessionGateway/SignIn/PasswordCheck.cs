namespace SessionGateway.SignIn;

/// <summary>
/// The outcome of a password check: the user id when the password is right (null when the user or the password is
/// wrong), or <see cref="IsBusy"/> when no check slot came free in time (the sign-in is answered 503, try again).
/// </summary>
internal readonly record struct PasswordCheck(string? UserId, bool IsBusy)
{
    public static readonly PasswordCheck Busy = new(null, IsBusy: true);
}
