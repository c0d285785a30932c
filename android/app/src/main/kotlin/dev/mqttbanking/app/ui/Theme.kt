package dev.mqttbanking.app.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

private val LightColors = lightColorScheme(
    primary = Color(0xFF0B57D0),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFD8E2FF),
    onPrimaryContainer = Color(0xFF001A41),
    secondaryContainer = Color(0xFFDCE3F4),
    onSecondaryContainer = Color(0xFF151C27),
    tertiary = Color(0xFF00639B),
    background = Color(0xFFF7F9FC),
    surface = Color(0xFFF7F9FC),
    surfaceContainer = Color(0xFFECEFF5),
    surfaceContainerLow = Color(0xFFFFFFFF),
)

private val DarkColors = darkColorScheme(
    primary = Color(0xFFADC6FF),
    onPrimary = Color(0xFF002E69),
    primaryContainer = Color(0xFF0B3F8F),
    onPrimaryContainer = Color(0xFFD8E2FF),
    tertiary = Color(0xFF93CCFF),
    background = Color(0xFF10131A),
    surface = Color(0xFF10131A),
    surfaceContainer = Color(0xFF1D2027),
    surfaceContainerLow = Color(0xFF181B22),
)

/** Money in, and a live connection. */
val positive: Color @Composable get() = if (isSystemInDarkTheme()) Color(0xFF7DD99F) else Color(0xFF137333)

/** Waiting: connecting, offline, or a transfer not yet applied. */
val caution: Color @Composable get() = if (isSystemInDarkTheme()) Color(0xFFFFC96B) else Color(0xFFB06000)

@Composable
fun BankTheme(content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = if (isSystemInDarkTheme()) DarkColors else LightColors, content = content)
}
